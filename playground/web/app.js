// mcpctl playground: a view over mcpctl's event stream, and tool calls through mcpctl.
// The token comes from this page's own URL; every request carries it.
"use strict";
(function () {
  const token = new URLSearchParams(location.search).get("token") || "";
  const $ = (id) => document.getElementById(id);
  const state = { status: {}, tools: [], selected: null, surfaces: [], requests: [], form: null, authMode: "" };

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (k === "text") e.textContent = v;
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const k of kids.flat()) if (k !== undefined && k !== null) e.append(k instanceof Node ? k : String(k));
    return e;
  }
  const pretty = (v) => JSON.stringify(v, null, 2);
  const clock = (t) => new Date(t).toLocaleTimeString();

  // ---- live events -------------------------------------------------------------------
  function connect() {
    const es = new EventSource("api/events?token=" + encodeURIComponent(token));
    es.addEventListener("snapshot", (e) => {
      const s = JSON.parse(e.data);
      state.requests = s.requests;
      state.surfaces = s.surfaces;
      const last = [...s.surfaces].reverse().find((x) => !x.error);
      if (last) setTools(last.tools);
      setStatus(s.status);
      renderRequests();
      renderChanges();
    });
    es.addEventListener("status", (e) => setStatus(JSON.parse(e.data)));
    es.addEventListener("request", (e) => {
      state.requests.push(JSON.parse(e.data));
      if (state.requests.length > 200) state.requests.shift();
      renderRequests();
    });
    es.addEventListener("surface", (e) => {
      const sf = JSON.parse(e.data);
      state.surfaces.push(sf);
      if (!sf.error) setTools(sf.tools);
      renderChanges();
      if (!sf.first && !sf.error) {
        const b = $("banner");
        b.hidden = false;
        b.className = sf.diff.breaking ? "breaking" : "";
        b.textContent = `Reloaded: generation ${sf.gen} · ${sf.diff.changes.length ? summary(sf.diff) : "tools unchanged"}`;
      }
    });
    es.onerror = () => setBadge("disconnected (is mcpctl dev running?)", "bad");
  }

  function summary(d) {
    const parts = [];
    if (d.added.length) parts.push(`${d.added.length} added`);
    if (d.removed.length) parts.push(`${d.removed.length} removed`);
    if (d.changed.length) parts.push(`${d.changed.length} changed`);
    const nb = d.changes.filter((c) => c.breaking).length;
    return parts.join(", ") + (nb ? ` · ${nb} breaking` : " · compatible");
  }

  function setBadge(text, kind) {
    const b = $("status");
    b.textContent = text;
    b.className = "badge " + (kind || "");
  }

  function setStatus(st) {
    state.status = st;
    const kind = st.state === "running" ? "running" : /failed|crashed/.test(st.state) ? "bad" : "busy";
    setBadge(`${st.state}${st.gen ? " · generation " + st.gen : ""}`, kind);
    $("status").dataset.gen = st.serving || "";
    $("status").dataset.reloads = st.reloads;
    const b = st.build;
    $("build").textContent = b ? `build ${b.gen} ${b.ok ? "ok" : "failed"} in ${b.durationMs} ms · ${st.reloads} reloads` : "";
    $("url").textContent = st.url || "";
    $("auth-note").textContent = st.authNote || "";
    state.authMode = st.authMode;
    $("bearer-box").hidden = st.authMode !== "oauth";
    renderProblems();
  }

  function renderProblems() {
    const st = state.status, box = $("problems");
    box.replaceChildren();
    if (st.errors && st.errors.length) {
      box.append(el("p", { class: "problem", text: `Build of generation ${st.build.gen} failed:` }));
      box.append(el("pre", { class: "problem", text: st.errors.map((e) => `${e.File}:${e.Line}${e.Col ? ":" + e.Col : ""}: ${e.Message}`).join("\n") }));
    } else if (st.output) {
      box.append(el("pre", { class: "problem", text: st.output }));
    }
    if (st.startFail) box.append(el("p", { class: "problem", text: "Did not start: " + st.startFail }));
    for (const n of st.notices || []) box.append(el("p", { class: "dim", text: "! " + n }));
    if (st.crash) {
      box.append(el("details", {}, el("summary", { text: `Last crash: generation ${st.crash.gen} at ${clock(st.crash.time)}: ${st.crash.status}` }),
        el("pre", { text: (st.crash.tail || []).join("\n") || "(no output on stderr)" })));
    }
    if (!box.childNodes.length) box.append(el("p", { class: "dim", text: "no problems" }));
  }

  function renderRequests() {
    const ol = $("requests");
    ol.replaceChildren(...state.requests.slice(-100).reverse().map((r) =>
      el("li", {}, el("span", { class: "dim", text: clock(r.time) }), el("span", { text: r.httpMethod }),
        el("span", { text: r.rpcMethod || r.path }), el("span", { text: r.tool || "" }),
        el("span", { class: r.status >= 400 ? "st-bad" : "", text: r.status }), el("span", { class: "dim", text: r.durationMs.toFixed(1) + " ms" }))));
  }

  function renderChanges() {
    const ol = $("changes");
    ol.replaceChildren(...[...state.surfaces].reverse().map((sf) => {
      if (sf.error) return el("li", { class: "change" }, el("strong", { text: `generation ${sf.gen}: ` }), sf.error);
      if (sf.first) return el("li", { class: "change" }, el("strong", { text: `generation ${sf.gen}` }), `: ${sf.tools.length} tools`);
      const d = sf.diff;
      return el("li", { class: "change" + (d.breaking ? " breaking" : ""), "data-gen": sf.gen },
        el("strong", { text: `generation ${sf.gen}: ${d.changes.length ? summary(d) : "no changes"}` }),
        el("ul", {}, d.changes.map((c) => el("li", { class: c.breaking ? "breaking" : "" },
          `${c.tool}${c.where ? " " + c.where : ""}: ${c.detail}${c.breaking ? " (breaking)" : ""}`))));
    }));
  }

  // ---- tools ---------------------------------------------------------------------------
  function setTools(tools) {
    state.tools = tools || [];
    $("tool-count").textContent = `(${state.tools.length})`;
    $("tools").replaceChildren(...state.tools.map((t) => el("li", {},
      el("button", { type: "button", "data-tool": t.name, "aria-current": state.selected === t.name ? "true" : "false", onclick: () => select(t.name) },
        t.title || (t.annotations && t.annotations.title) || t.name, el("span", { class: "sub", text: t.name })))));
    if (state.selected) {
      const t = state.tools.find((x) => x.name === state.selected);
      if (!t) { state.selected = null; $("tool-detail").hidden = true; $("no-tool").hidden = false; }
      else if (JSON.stringify(t.inputSchema) !== JSON.stringify(state.form && state.form.schema)) select(t.name, true);
    }
  }

  function select(name, keepValues) {
    const t = state.tools.find((x) => x.name === name);
    if (!t) return;
    const prev = keepValues && state.form ? safeValue() : undefined;
    state.selected = name;
    for (const b of document.querySelectorAll("#tools button")) b.setAttribute("aria-current", b.dataset.tool === name ? "true" : "false");
    $("no-tool").hidden = true;
    $("tool-detail").hidden = false;
    $("tool-title").textContent = t.title || (t.annotations && t.annotations.title) || t.name;
    $("tool-name").textContent = t.name;
    $("tool-description").textContent = t.description || "";
    const ann = $("tool-annotations");
    ann.replaceChildren();
    for (const [k, v] of Object.entries(t.annotations || {})) if (k !== "title") ann.append(el("span", { class: "ann", text: `${k}: ${v}` }));
    buildForm(t.inputSchema || { type: "object" }, prev);
    if (!keepValues) $("result").replaceChildren();
  }

  function safeValue() { try { return state.form.value(); } catch { return undefined; } }

  // ---- forms from JSON schema ---------------------------------------------------------
  function mainType(s) {
    let t = s.type;
    if (Array.isArray(t)) t = t.find((x) => x !== "null") || t[0];
    if (!t && s.properties) t = "object";
    if (!t && s.items) t = "array";
    return t;
  }

  // field returns {node, value(): any|undefined, errors(): string[]}
  function field(schema, label, required, path, initial) {
    schema = schema || {};
    const t = mainType(schema);
    const init = initial !== undefined ? initial : schema.default;
    const help = schema.description ? el("div", { class: "help", text: schema.description }) : null;
    const id = "f-" + (path || "root").replace(/[^A-Za-z0-9_-]/g, "_");
    const lab = () => el("label", { for: id }, label, required ? el("span", { class: "req", "aria-hidden": "true", text: "*" }) : null);
    const wrap = (input, extraErrors) => {
      const node = el("div", { class: "field" }, lab(), input, help);
      return { node, input, extraErrors };
    };

    if (schema.enum) {
      const sel = el("select", { id, "data-path": path, required: required || undefined },
        required && init !== undefined ? null : el("option", { value: "", text: "—" }),
        schema.enum.map((v, i) => el("option", { value: i, text: JSON.stringify(v).replace(/^"|"$/g, "") })));
      const idx = schema.enum.findIndex((v) => JSON.stringify(v) === JSON.stringify(init));
      sel.value = idx >= 0 ? String(idx) : "";
      const w = wrap(sel);
      return { node: w.node, value: () => sel.value === "" ? undefined : schema.enum[+sel.value],
        errors: () => required && sel.value === "" ? [`${label}: choose a value`] : [] };
    }
    if (t === "object") {
      const props = schema.properties || {};
      const req = new Set(schema.required || []);
      const kids = Object.entries(props).map(([k, s]) => [k, field(s, k, req.has(k), path ? path + "." + k : k, init && typeof init === "object" ? init[k] : undefined)]);
      const freeform = Object.keys(props).length === 0;
      let raw;
      if (freeform && path) raw = el("textarea", { id, "data-path": path, rows: 3, spellcheck: "false", placeholder: "{ }" }, init ? pretty(init) : "");
      const node = path
        ? el("fieldset", { "data-path": path }, el("legend", {}, label, required ? el("span", { class: "req", text: "*" }) : null), help, raw, kids.map(([, f]) => f.node))
        : el("div", {}, kids.map(([, f]) => f.node), freeform ? el("p", { class: "dim", text: "This tool takes no arguments." }) : null);
      return {
        node,
        value: () => {
          if (raw) return raw.value.trim() ? JSON.parse(raw.value) : undefined;
          const o = {};
          for (const [k, f] of kids) { const v = f.value(); if (v !== undefined) o[k] = v; }
          return Object.keys(o).length || required || !path ? o : undefined;
        },
        errors: () => {
          if (raw) { try { if (raw.value.trim()) JSON.parse(raw.value); return []; } catch { return [`${label}: not valid JSON`]; } }
          const anySet = kids.some(([, f]) => f.value() !== undefined);
          if (path && !required && !anySet) return [];
          return kids.flatMap(([, f]) => f.errors().map((e) => (path ? path + "." : "") + e));
        },
      };
    }
    if (t === "array") {
      const items = [];
      const list = el("div", { class: "items" });
      const fs = el("fieldset", { "data-path": path }, el("legend", {}, label, required ? el("span", { class: "req", text: "*" }) : null), help, list);
      const add = (v) => {
        const f = field(schema.items || {}, `${label}[${items.length}]`, true, `${path}[${items.length}]`, v);
        const row = el("div", { class: "item" }, f.node);
        const rm = el("button", { type: "button", "aria-label": "remove item", text: "✕", onclick: () => { items.splice(items.indexOf(f), 1); row.remove(); } });
        row.append(rm);
        items.push(f);
        list.append(row);
      };
      fs.append(el("button", { type: "button", "data-add": path, text: "+ add item", onclick: () => add(undefined) }));
      if (Array.isArray(init)) init.forEach(add);
      return {
        node: fs,
        value: () => items.length || required ? items.map((f) => f.value()) : undefined,
        errors: () => {
          const errs = items.flatMap((f) => f.errors());
          if (schema.minItems !== undefined && items.length < schema.minItems) errs.push(`${label}: at least ${schema.minItems} items`);
          if (schema.maxItems !== undefined && items.length > schema.maxItems) errs.push(`${label}: at most ${schema.maxItems} items`);
          return errs;
        },
      };
    }
    if (t === "boolean") {
      if (required) {
        const cb = el("input", { type: "checkbox", id, "data-path": path });
        cb.checked = init === true;
        const node = el("div", { class: "field" }, el("label", { for: id }, cb, " ", label, el("span", { class: "req", text: "*" })), help);
        return { node, value: () => cb.checked, errors: () => [] };
      }
      const sel = el("select", { id, "data-path": path }, el("option", { value: "", text: "—" }), el("option", { value: "true", text: "true" }), el("option", { value: "false", text: "false" }));
      sel.value = init === true ? "true" : init === false ? "false" : "";
      return { node: wrap(sel).node, value: () => sel.value === "" ? undefined : sel.value === "true", errors: () => [] };
    }
    if (t === "number" || t === "integer") {
      const inp = el("input", { type: "number", id, "data-path": path, step: t === "integer" ? "1" : "any", min: schema.minimum, max: schema.maximum });
      if (init !== undefined) inp.value = init;
      const w = wrap(inp);
      return {
        node: w.node,
        value: () => inp.value.trim() === "" ? undefined : Number(inp.value),
        errors: () => {
          const s = inp.value.trim();
          if (s === "") return required ? [`${label}: required`] : [];
          const n = Number(s);
          if (!Number.isFinite(n)) return [`${label}: not a number`];
          if (t === "integer" && !Number.isInteger(n)) return [`${label}: must be a whole number`];
          if (schema.minimum !== undefined && n < schema.minimum) return [`${label}: at least ${schema.minimum}`];
          if (schema.maximum !== undefined && n > schema.maximum) return [`${label}: at most ${schema.maximum}`];
          return [];
        },
      };
    }
    if (t === "string") {
      const inp = el("input", { type: "text", id, "data-path": path, autocomplete: "off" });
      if (init !== undefined) inp.value = init;
      return {
        node: wrap(inp).node,
        value: () => inp.value === "" ? undefined : inp.value,
        errors: () => {
          const s = inp.value;
          if (s === "") return required ? [`${label}: required`] : [];
          if (schema.minLength !== undefined && s.length < schema.minLength) return [`${label}: at least ${schema.minLength} characters`];
          if (schema.maxLength !== undefined && s.length > schema.maxLength) return [`${label}: at most ${schema.maxLength} characters`];
          if (schema.pattern && !new RegExp(schema.pattern, "u").test(s)) return [`${label}: must match ${schema.pattern}`];
          return [];
        },
      };
    }
    // Anything the form cannot express (anyOf, $ref, no type): JSON for this value.
    const ta = el("textarea", { id, "data-path": path, rows: 3, spellcheck: "false", placeholder: "JSON" }, init !== undefined ? pretty(init) : "");
    return {
      node: wrap(ta).node,
      value: () => ta.value.trim() === "" ? undefined : JSON.parse(ta.value),
      errors: () => {
        if (ta.value.trim() === "") return required ? [`${label}: required`] : [];
        try { JSON.parse(ta.value); return []; } catch { return [`${label}: not valid JSON`]; }
      },
    };
  }

  function buildForm(schema, initial) {
    const f = field(schema, "arguments", true, "", initial);
    state.form = { schema, value: f.value, errors: f.errors };
    $("fields").replaceChildren(f.node);
    $("form-errors").replaceChildren();
    const raw = $("raw-toggle").checked;
    $("fields").hidden = raw;
    $("raw").hidden = !raw;
    if (raw) $("raw").value = pretty(safeValue() || {});
  }

  $("raw-toggle").addEventListener("change", () => {
    const raw = $("raw-toggle").checked;
    if (raw) {
      $("raw").value = pretty(safeValue() || {});
    } else {
      let v;
      try { v = JSON.parse($("raw").value || "{}"); } catch { $("raw-toggle").checked = true; showErrors(["raw JSON: not valid JSON; fix it to go back to the form"]); return; }
      buildForm(state.form.schema, v);
    }
    $("fields").hidden = raw;
    $("raw").hidden = !raw;
  });

  function showErrors(errs) {
    $("form-errors").replaceChildren(...errs.map((e) => el("li", { text: e })));
  }

  function collect() {
    if ($("raw-toggle").checked) {
      try {
        const v = JSON.parse($("raw").value || "{}");
        if (v === null || typeof v !== "object" || Array.isArray(v)) return { errs: ["arguments must be a JSON object"] };
        return { args: v, errs: [] };
      } catch (e) { return { errs: ["raw JSON: " + e.message] }; }
    }
    const errs = state.form.errors();
    return errs.length ? { errs } : { args: state.form.value() || {}, errs: [] };
  }

  // ---- calls ---------------------------------------------------------------------------
  $("call-form").addEventListener("submit", (e) => { e.preventDefault(); call(); });
  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter" && state.selected) { e.preventDefault(); call(); }
  });

  async function call() {
    const { args, errs } = collect();
    showErrors(errs);
    if (errs.length) return;
    const out = $("result");
    const progress = el("ol", { class: "progress" });
    const box = el("div", { class: "result pending" }, el("h3", { text: `Calling ${state.selected}…` }), progress);
    out.replaceChildren(box);
    $("call").disabled = true;
    try {
      const resp = await fetch("api/call", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Mcpctl-Token": token },
        body: JSON.stringify({ tool: state.selected, arguments: args, bearer: state.authMode === "oauth" ? $("bearer").value : "" }),
      });
      if (!resp.ok) throw new Error(`${resp.status} ${await resp.text()}`);
      const reader = resp.body.getReader();
      const dec = new TextDecoder();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let i;
        while ((i = buf.indexOf("\n")) >= 0) {
          const line = JSON.parse(buf.slice(0, i));
          buf = buf.slice(i + 1);
          if (line.type === "progress") {
            progress.append(el("li", { text: `${line.progress}${line.total ? " / " + line.total : ""}${line.message ? " · " + line.message : ""} (${line.atMs.toFixed(0)} ms)` }));
          } else if (line.type === "result") {
            out.replaceChildren(renderResult(line, progress));
          }
        }
      }
    } catch (err) {
      out.replaceChildren(el("div", { class: "result is-error" }, el("h3", { text: "The call did not go through" }), el("pre", { text: String(err.message || err) })));
    } finally {
      $("call").disabled = false;
    }
  }

  function renderResult(line, progress) {
    const r = line.result;
    const isErr = !!line.error || (r && r.isError);
    const box = el("div", { class: "result" + (isErr ? " is-error" : ""), "data-state": line.error ? "protocol-error" : r && r.isError ? "tool-error" : "ok" });
    box.append(el("h3", { text: line.error ? "Protocol error" : r.isError ? "Tool error (isError: the model sees this and can act on it)" : "Result" }),
      el("p", { class: "dim", text: `${line.durationMs.toFixed(1)} ms (connect ${line.connectMs.toFixed(1)} ms)` }));
    if (line.error) box.append(el("pre", { text: line.error }));
    for (const c of (r && r.content) || []) {
      if (c.type === "text") box.append(el("pre", { class: "content-text", text: c.text }));
      else if (c.type === "image") box.append(el("img", { class: "content-image", alt: "image result", src: `data:${c.mimeType};base64,${c.data}` }));
      else if (c.type === "audio") box.append(el("audio", { controls: true, src: `data:${c.mimeType};base64,${c.data}` }));
      else box.append(el("pre", { text: pretty(c) }));
    }
    if (r && r.structuredContent !== undefined) box.append(el("details", { open: true }, el("summary", { text: "structuredContent" }), el("pre", { class: "structured", text: pretty(r.structuredContent) })));
    if (progress.childNodes.length) box.append(el("details", { open: true }, el("summary", { text: `progress (${progress.childNodes.length})` }), progress));
    box.append(el("details", {}, el("summary", { text: "raw JSON-RPC" }),
      el("p", { class: "dim", text: "request" }), el("pre", { text: line.request ? pretty(line.request) : "(none)" }),
      el("p", { class: "dim", text: "response" }), el("pre", { text: (line.response || []).map(pretty).join("\n") || "(none)" })));
    return box;
  }

  connect();
})();
