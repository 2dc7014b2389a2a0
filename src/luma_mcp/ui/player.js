"use strict";
// The player talks to its host in MCP Apps' JSON-RPC over postMessage: ui/initialize, then the host's
// tool-input and tool-result notifications; tools/call and resources/read go through the host to our server.

const config = JSON.parse(document.getElementById("config").textContent);
const $ = (id) => document.getElementById(id);
const RUNNING = new Set(["queued", "processing"]);
const view = { gen: null, tool: null, input: null, offer: null, polling: false, stopped: false, tick: 0, timing: null, followed: null };

// --- the bridge ---------------------------------------------------------------------------------------
const waiting = new Map();
let nextId = 1;

function send(message) {
  window.parent.postMessage({ jsonrpc: "2.0", ...message }, "*");
}

function request(method, params) {
  const id = nextId++;
  send({ id, method, params });
  return new Promise((resolve, reject) => waiting.set(id, { resolve, reject }));
}

const handlers = {
  "ui/notifications/tool-input": (params) => { view.input = params.arguments || {}; },
  "ui/notifications/tool-result": (params) => showResult(params),
  "ui/notifications/tool-cancelled": (params) => note(`The call was cancelled${params.reason ? `: ${params.reason}` : ""}.`),
  "ui/notifications/host-context-changed": (params) => applyContext(params),
  "ui/resource-teardown": () => { view.stopped = true; clearInterval(view.tick); return {}; },
  ping: () => ({}),
};

window.addEventListener("message", (event) => {
  const message = event.data;
  if (event.source !== window.parent || !message || message.jsonrpc !== "2.0") return;
  if (message.method === undefined) {
    const waiter = waiting.get(message.id);
    waiting.delete(message.id);
    if (waiter && message.error) waiter.reject(new Error(message.error.message || "The host refused the request."));
    else if (waiter) waiter.resolve(message.result);
    return;
  }
  const handler = handlers[message.method];
  const result = handler ? handler(message.params || {}) : undefined;
  if (message.id === undefined) return;
  send(handler ? { id: message.id, result: result || {} } : { id: message.id, error: { code: -32601, message: "Method not found" } });
});

async function callTool(name, args) {
  const result = await request("tools/call", { name, arguments: args });
  if (result.isError) throw new Error(textOf(result) || `${name} failed.`);
  return result;
}

const textOf = (result) => (result.content || []).filter((block) => block.type === "text").map((block) => block.text).join("\n");

// --- what the host sends --------------------------------------------------------------------------------
function showResult(result) {
  const gen = result.structuredContent;
  if (result.isError || !gen || !("state" in gen)) {
    if (!view.gen) placeholder("Nothing to play.");
    return note(textOf(result) || "The tool returned no generation.", true);
  }
  if (gen.dry_run) {
    $("prompt").textContent = gen.prompt || "";
    showFacts(gen);
    return placeholder(`Dry run: this ${gen.type} request is valid, ${price(gen)}. Nothing was submitted.`);
  }
  render(gen, (result._meta || {})[config.progressMeta]);
}

function applyContext(context) {
  const root = document.documentElement;
  if (context.theme) root.dataset.theme = context.theme;
  for (const [name, value] of Object.entries((context.styles || {}).variables || {})) {
    if (value) root.style.setProperty(name, value);
  }
}

// --- one generation ---------------------------------------------------------------------------------------
function render(gen, timing) {
  const mediaShown = view.gen && view.gen.id === gen.id && view.gen.state === "completed";
  view.gen = gen;
  $("state").textContent = gen.state || "";
  $("state").className = `badge ${gen.state || ""}`;
  $("sandbox").hidden = !gen.sandbox;
  $("prompt").textContent = gen.prompt || "(no prompt)";
  showFacts(gen);
  $("progress").hidden = !RUNNING.has(gen.state);
  if (RUNNING.has(gen.state)) follow(gen, timing);
  else clearInterval(view.tick);
  if (gen.state === "failed") note(`${gen.failure_reason || gen.failure_code || "Failed."} ${gen.next_step}`, true);
  else note("");
  if (gen.state === "completed" && !mediaShown) showMedia(gen);
  if (gen.state !== "completed") placeholder(RUNNING.has(gen.state) ? "Generating…" : "Nothing to play.");
  showNextSteps(gen);
}

function showFacts(gen) {
  const output = firstMedia(gen) || {};
  const facts = [
    ["Model", gen.model],
    ["Provider", gen.provider],
    ["Duration", output.duration_seconds != null ? `${output.duration_seconds.toFixed(1)} s` : null],
    ["Size", output.width && output.height ? `${output.width}×${output.height}` : null],
    ["Price", price(gen)],
    ["Saved", output.path],
    ["Id", gen.id],
  ];
  $("facts").replaceChildren(...facts.filter(([, value]) => value).flatMap(([name, value]) => [element("dt", name), element("dd", value)]));
}

function price(gen) {
  if (gen.estimated_cost_usd == null) return "price unknown";
  const credits = gen.estimated_credits != null ? ` (${gen.estimated_credits} credits)` : "";
  return `est. $${gen.estimated_cost_usd.toFixed(2)}${credits}${gen.sandbox ? ", not charged" : ""}`;
}

// --- a running job: an honest estimate between polls, and get_generation through the host -----------
function follow(gen, timing) {
  const age = gen.created_at ? Math.max(0, (Date.now() - Date.parse(gen.created_at)) / 1000) : 0;
  const expected = (timing && timing.expected_seconds) || (gen.type.startsWith("image") ? 20 : 90);
  const elapsed = timing && timing.elapsed_seconds != null ? timing.elapsed_seconds : age;
  view.timing = { expected, since: Date.now() - 1000 * elapsed };
  clearInterval(view.tick);
  view.tick = setInterval(drawProgress, 500);
  drawProgress();
  // The first look is quick (it brings the server's timing); later ones wait for the end.
  poll(gen.id, view.followed === gen.id ? config.pollWaitSeconds : 0);
  view.followed = gen.id;
}

function drawProgress() {
  const { expected, since } = view.timing;
  const elapsed = (Date.now() - since) / 1000;
  const fraction = 1 - Math.exp(-elapsed / Math.max(expected, 1));
  $("bar").value = fraction;
  $("progress-text").textContent =
    `${view.gen.state} · about ${Math.round(100 * fraction)}% · ${Math.round(elapsed)} s elapsed (typically ~${Math.round(expected)} s)`;
}

async function poll(id, waitSeconds) {
  if (view.polling || view.stopped) return;
  view.polling = true;
  try {
    const result = await callTool("get_generation", { generation_id: id, wait_seconds: waitSeconds });
    view.polling = false;
    if (view.gen && view.gen.id === id) showResult(result);
  } catch (error) {
    view.polling = false;
    note(`Could not refresh (${error.message}); trying again in 5 s.`, true);
    setTimeout(() => view.gen && view.gen.id === id && RUNNING.has(view.gen.state) && poll(id, waitSeconds), 5000);
  }
}

// --- media: the saved copy through the host, else a declared origin, else a fresh copy --------------
const firstMedia = (gen) => (gen.outputs || []).find((output) => output.type === "video" || output.type === "image");

async function showMedia(gen, refreshed = false) {
  const output = firstMedia(gen);
  if (!output) return placeholder("No playable output here (an EXR opens in a compositor).");
  if (output.resource_uri) {
    try {
      return present(output, await readFile(output.resource_uri), false);
    } catch (error) {
      note(`${error.message}`, true);
    }
  }
  if (output.url && declared(output.url) && !expired(output)) return present(output, output.url, true);
  if (refreshed) return offerLink(output);
  // Fresh URLs, and a saved copy when there is none yet, come from get_generation.
  placeholder("Fetching a fresh copy…");
  try {
    const result = await callTool("get_generation", { generation_id: gen.id, download: !output.resource_uri });
    view.gen = result.structuredContent;
    showFacts(view.gen);
    return showMedia(view.gen, true);
  } catch (error) {
    note(`Could not refresh the file: ${error.message}`, true);
  }
}

async function readFile(uri) {
  const result = await request("resources/read", { uri });
  const item = (result.contents || [])[0];
  if (!item || !item.blob) throw new Error("The host returned no file for it.");
  return `data:${item.mimeType || "application/octet-stream"};base64,${item.blob}`;
}

function declared(url) {
  try {
    return config.mediaOrigins.includes(new URL(url).origin);
  } catch {
    return false;
  }
}

const expired = (output) => output.url_expires_at != null && Date.parse(output.url_expires_at) <= Date.now();

function present(output, src, remote) {
  const video = $("video");
  const image = $("image");
  const element = output.type === "video" ? video : image;
  video.hidden = element !== video;
  image.hidden = element !== image;
  $("placeholder").hidden = true;
  element.dataset.remote = remote ? "yes" : "";
  element.src = src;
  if (element === video) video.play().catch(() => {});
}

function placeholder(text) {
  $("video").hidden = true;
  $("image").hidden = true;
  $("video").removeAttribute("src");
  $("placeholder").hidden = false;
  $("placeholder").textContent = text;
}

function onMediaError(event) {
  const output = view.gen && firstMedia(view.gen);
  if (!output) return;
  // A provider URL that stopped working has most likely expired: get_generation mints a new one, once.
  if (event.target.dataset.remote === "yes") {
    event.target.dataset.remote = "";
    return showMedia({ ...view.gen, outputs: [{ ...output, url: null, resource_uri: null }] });
  }
  note(`This browser cannot play the file${output.path ? `; it is saved at ${output.path}` : ""}.`, true);
}

function offerLink(output) {
  placeholder(output.path ? `Saved at ${output.path}` : "This file cannot be shown here.");
  if (!output.url) return;
  const open = element("button", "Open in the browser");
  open.type = "button";
  open.onclick = () => request("ui/open-link", { url: output.url }).catch((error) => note(error.message, true));
  $("placeholder").append(" ", open);
}

// --- next steps: priced with a dry run, bought on confirmation -----------------------------------------
function nextSteps(gen) {
  const prompt = () => $("next-prompt").value.trim() || gen.prompt;
  const source = { generation_id: gen.id };
  const video = gen.type.startsWith("video") && gen.provider !== "hedra";
  const output = firstMedia(gen) || {};
  const vertical = output.width && output.height && Math.abs(output.width / output.height - 9 / 16) < 0.02;
  const steps = [];
  if (video) steps.push(["Extend", "extend_video", () => ({ generation_id: gen.id, prompt: prompt() })]);
  if (video && gen.provider === "luma" && !vertical) {
    steps.push(["Reframe to 9:16", "reframe_video", () => ({ source, aspect_ratio: "9:16" })]);
  }
  if (gen.type.startsWith("image")) steps.push(["Animate", "generate_video", () => ({ prompt: prompt(), start_frame: source })]);
  const again = variation(gen, prompt);
  if (again) steps.push(again);
  return steps;
}

function variation(gen, prompt) {
  // The same call again where we know it (the host said which tool and arguments made this); else the prompt alone.
  if (view.tool && view.tool !== "get_generation" && view.input) {
    const args = { ...view.input };
    delete args.dry_run;
    delete args.wait_seconds;
    return ["Variation", view.tool, () => ("prompt" in args ? { ...args, prompt: prompt() } : args)];
  }
  if (gen.provider === "hedra") return null;
  if (gen.type === "video") return ["Variation", "generate_video", () => ({ prompt: prompt(), model: gen.model })];
  if (gen.type === "image") return ["Variation", "generate_image", () => ({ prompt: prompt(), model: gen.model })];
  return null;
}

function showNextSteps(gen) {
  const steps = gen.state === "completed" ? nextSteps(gen) : [];
  $("next").hidden = steps.length === 0;
  if ($("next-prompt").dataset.for !== gen.id) {
    $("next-prompt").value = gen.prompt || "";
    $("next-prompt").dataset.for = gen.id;
  }
  $("actions").replaceChildren(
    ...steps.map(([label, tool, args]) => {
      const button = element("button", label);
      button.type = "button";
      button.dataset.tool = tool;
      button.onclick = () => quote(label, tool, args());
      return button;
    }),
  );
}

async function quote(label, tool, args) {
  busy(true);
  try {
    const gen = (await callTool(tool, { ...args, dry_run: true })).structuredContent;
    view.offer = { tool, args };
    $("offer-text").textContent = `${label} (${tool}): ${price(gen)}.`;
    $("offer").hidden = false;
  } catch (error) {
    note(error.message, true);
  } finally {
    busy(false);
  }
}

async function confirmOffer() {
  const { tool, args } = view.offer;
  view.offer = null;
  $("offer").hidden = true;
  busy(true);
  try {
    // wait_seconds 0: the call returns the new job at once, and the player follows it.
    const result = await callTool(tool, { ...args, wait_seconds: 0 });
    view.tool = tool;
    view.input = args;
    showResult(result);
  } catch (error) {
    note(error.message, true);
  } finally {
    busy(false);
  }
}

function busy(on) {
  for (const button of document.querySelectorAll("#next button")) button.disabled = on;
}

// --- small helpers, and the start ------------------------------------------------------------------
function element(tag, text) {
  const node = document.createElement(tag);
  node.textContent = text;
  return node;
}

function note(text, error = false) {
  $("note").textContent = text;
  $("note").className = error ? "error" : "";
}

$("confirm").onclick = confirmOffer;
$("cancel").onclick = () => { view.offer = null; $("offer").hidden = true; };
$("video").addEventListener("error", onMediaError);
$("image").addEventListener("error", onMediaError);
$("limits").textContent =
  `Saved files up to ${Math.round(config.maxBytes / 2 ** 20)} MiB play here, read through your MCP host; larger ones open from their folder.`;
new ResizeObserver(() => {
  const box = document.documentElement.getBoundingClientRect();
  send({ method: "ui/notifications/size-changed", params: { width: Math.ceil(box.width), height: Math.ceil(box.height) } });
}).observe(document.body);

(async () => {
  try {
    const started = await request("ui/initialize", {
      protocolVersion: "2026-01-26",
      appInfo: { name: "luma-mcp player", version: config.version },
      appCapabilities: {},
    });
    const context = started.hostContext || {};
    applyContext(context);
    view.tool = context.toolInfo && context.toolInfo.tool ? context.toolInfo.tool.name : null;
  } catch (error) {
    note(`The host did not answer ui/initialize: ${error.message}`, true);
  }
  send({ method: "ui/notifications/initialized", params: {} });
})();
