"""The AI/ML API's Luma Ray 2 and Ray Flash 2 video (`aimlapi-spec.md`), on plain httpx."""
