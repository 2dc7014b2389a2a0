from luma_mcp import main

main()
