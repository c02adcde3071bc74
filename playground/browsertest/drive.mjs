// Drives the mcpctl dev playground in headless Chromium, as a user would. Run by
// e2e/playground_test.go, which starts `mcpctl dev` and passes, in the environment:
//   PLAYGROUND_URL  the link mcpctl dev printed
//   PROJECT_DIR     the project (this script edits tools/hello.go to break say_hello)
//   CHROMIUM        the browser executable
//   SCREENSHOT      where to write the screenshot of the page
// It exits non-zero with a message on the first thing that does not work.
import { chromium } from "playwright-core";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const { PLAYGROUND_URL: url, PROJECT_DIR: dir, CHROMIUM: exe, SCREENSHOT: shot } = process.env;
const timeout = 60_000;

function check(ok, msg) {
  if (!ok) throw new Error(msg);
}

const browser = await chromium.launch({ executablePath: exe, headless: true, args: ["--no-sandbox"] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(timeout);
  const consoleErrors = [];
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));

  await page.goto(url);
  await page.waitForSelector('[data-tool="say_hello"]');
  await page.waitForSelector("#status.running");

  // say_hello through the generated form; an empty required field is caught before sending.
  await page.click('[data-tool="say_hello"]');
  await page.click("#call");
  check((await page.textContent("#form-errors")).includes("name: required"), "an empty required field was not reported");
  await page.fill('[data-path="name"]', "Ada");
  await page.keyboard.press("Control+Enter");
  await page.waitForSelector('#result .result[data-state="ok"] .content-text');
  check((await page.textContent("#result .content-text")) === "Hello, Ada!", "no greeting in the result");
  check((await page.textContent("#result")).includes("tools/call"), "raw JSON-RPC missing");

  // A tool with a nested object, an array and an enum gets a usable form.
  await page.click('[data-tool="plan_trip"]');
  await page.waitForSelector('fieldset[data-path="destination"]');
  await page.fill('[data-path="destination.city"]', "Lisbon");
  await page.fill('[data-path="destination.nights"]', "3");
  await page.selectOption('[data-path="mode"]', { label: "train" });
  await page.click('[data-add="stops"]');
  await page.click('[data-add="stops"]');
  await page.fill('[data-path="stops[0]"]', "Paris");
  await page.fill('[data-path="stops[1]"]', "Madrid");
  await page.click("#call");
  await page.waitForSelector('#result .result[data-state="ok"] .structured');
  const structured = JSON.parse(await page.textContent("#result .structured"));
  check(structured.summary === "3 nights in Lisbon by train via Paris, Madrid", "nested call: " + JSON.stringify(structured));
  // The raw JSON editor sends the same arguments.
  await page.check("#raw-toggle");
  const raw = JSON.parse(await page.inputValue("#raw"));
  check(raw.destination.city === "Lisbon" && raw.stops.length === 2, "raw JSON: " + JSON.stringify(raw));
  await page.uncheck("#raw-toggle");

  await page.click('[data-tool="say_hello"]');
  await page.fill('[data-path="name"]', "Grace");
  await page.click("#call");
  await page.waitForSelector('#result .result[data-state="ok"] .content-text');
  await page.screenshot({ path: shot });

  // Break say_hello in the source: the reload and a breaking-change entry arrive live.
  await page.evaluate(() => { window.__notReloaded = true; });
  const gen = Number(await page.getAttribute("#status", "data-gen"));
  const hello = join(dir, "tools", "hello.go");
  const src = readFileSync(hello, "utf8");
  const broken = src.replace('`json:"name" ', '`json:"who" ');
  check(broken !== src, "hello.go has no name argument");
  writeFileSync(hello, broken);
  await page.waitForFunction((g) => Number(document.querySelector("#status").dataset.gen) > g, gen);
  await page.waitForSelector("#changes .change.breaking");
  const entry = await page.textContent("#changes .change.breaking");
  check(entry.includes("say_hello input.name") && entry.includes("(breaking)"), "breaking entry: " + entry);
  check((await page.textContent("#banner")).includes("breaking"), "no reload banner");
  check(await page.evaluate(() => window.__notReloaded === true), "the page was reloaded");
  // The form follows the new schema.
  await page.waitForSelector('[data-path="who"]');

  check(consoleErrors.length === 0, "console errors: " + consoleErrors.join("; "));
  console.log("playground ok");
} finally {
  await browser.close();
}
