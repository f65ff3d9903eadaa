// The compact chat for <iframe> embedding. Every piece of text from the server is
// inserted with textContent: document text can never become markup here. Answers are
// drawn with the same structure and classes as the chat page's (app/server/render.py),
// styled by answer.css.
"use strict";
(() => {
  const chat = document.getElementById("chat");
  const form = document.getElementById("ask");
  const input = document.getElementById("question");
  const viewer = document.getElementById("viewer");
  const welcome = document.getElementById("welcome");
  let token = new URLSearchParams(location.hash.slice(1)).get("token");
  const history = [];
  let lastOpener = null;

  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = "Bearer " + token;

  // The host page's widget hands over its user's token (and each refreshed one). Only the
  // page framing this one can send it: the server lets only DOCQA_SERVER__EMBED_ORIGINS frame it.
  window.addEventListener("message", (event) => {
    if (event.source !== window.parent || window.parent === window) return;
    const data = event.data;
    if (data && data.type === "docqa:token" && typeof data.token === "string" && data.token) {
      const first = !headers.authorization;
      token = data.token;
      headers.authorization = "Bearer " + token;
      if (first) loadAbout();
    }
  });

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function scrollDown() { chat.scrollTop = chat.scrollHeight; }

  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  function dayLabel(value) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value || "");
    return m ? `${Number(m[3])} ${MONTHS[Number(m[2]) - 1]} ${m[1]}` : (value || "");
  }
  // As render.py's source_label: an upload's name, a page's host, folder/name less hashes.
  function sourceLabel(source) {
    if (source.startsWith("upload://")) return source.slice(9);
    try {
      const url = new URL(source);
      if ((url.protocol === "http:" || url.protocol === "https:") && url.host) {
        return url.host.replace(/^www\./, "");
      }
    } catch (_) { /* a path */ }
    const parts = source.split("/");
    const file = parts.pop();
    const dot = file.lastIndexOf(".");
    const stem = dot > 0 ? file.slice(0, dot) : file;
    const suffix = dot > 0 ? file.slice(dot) : "";
    const hash = /(?:^|[_\-.\s])(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}(?=$|[_\-.\s])/gi;
    const name = stem.replace(hash, "").replace(/^[_\-. ]+|[_\-. ]+$/g, "") || stem;
    const folder = parts.pop();
    return (folder ? folder + "/" : "") + name + suffix;
  }

  function chip(id, citation) {
    const b = el("button", "dq-chip", String(id));
    b.type = "button";
    b.setAttribute("aria-label", "Source " + id);
    if (citation) b.title = citation.title || sourceLabel(citation.source);
    b.addEventListener("click", () => openCitation(citation, b));
    return b;
  }

  // The words of [start, end) in bold, the rest as text.
  function emphasised(parent, text, span) {
    if (!span || span[0] >= span[1]) { parent.append(text); return; }
    parent.append(text.slice(0, span[0]), el("strong", "", text.slice(span[0], span[1])), text.slice(span[1]));
  }

  function sentence(parent, s, byId) {
    emphasised(parent, s.text, s.answer_span);
    if (!s.supported) parent.append(" ", el("span", "dq-unsupported", "not supported by the passages"));
    for (const id of s.citations) if (byId.has(id)) parent.append(" ", chip(id, byId.get(id)));
  }

  function body(result, byId) {
    const sentences = result.sentences || [];
    if (!sentences.length) {  // a written answer kept as text: its [n] markers become chips
      const p = el("p", "dq-lead");
      for (const part of result.answer.split(/(\[\d+\]|\[unsupported\])/)) {
        const m = /^\[(\d+)\]$/.exec(part);
        if (part === "[unsupported]") p.append(el("span", "dq-unsupported", "not supported by the passages"));
        else if (m && byId.has(Number(m[1]))) p.append(chip(Number(m[1]), byId.get(Number(m[1]))));
        else p.append(part);
      }
      return p;
    }
    if (result.form === "timeline" || result.form === "points") {
      const list = el(result.form === "timeline" ? "ol" : "ul", result.form === "timeline" ? "dq-timeline" : "dq-points");
      for (const s of sentences) {
        const item = el("li");
        if (s.label) item.append(el("span", "dq-when", s.label));
        const what = el("span", "dq-what");
        sentence(what, s, byId);
        item.append(what);
        list.append(item);
      }
      return list;
    }
    if (result.form === "positions") {
      const sides = el("div", "dq-sides");
      let block = null, label = null;
      for (const s of sentences) {
        if (!block || s.label !== label) {
          label = s.label;
          block = el("section", "dq-side");
          if (label) block.append(el("div", "dq-side-name", label));
          block.append(el("p"));
          sides.append(block);
        } else {
          block.lastChild.append(" ");
        }
        sentence(block.lastChild, s, byId);
      }
      return sides;
    }
    const p = el("p", "dq-lead");
    sentences.forEach((s, i) => { if (i) p.append(" "); sentence(p, s, byId); });
    return p;
  }

  // One card per article, listing its quoted sentences (the answer's words in bold).
  function sources(result) {
    const cited = result.refused ? result.closest : result.citations;
    if (!cited.length) return null;
    const bold = new Map();
    for (const s of result.sentences || []) {
      if (!s.answer_span) continue;
      for (const id of s.citations) bold.set(id, s.text.slice(s.answer_span[0], s.answer_span[1]).trim());
    }
    const box = el("div", "dq-sources");
    box.append(el("div", "dq-sources-head", result.refused ? "Closest passages" : "Sources"));
    const cards = new Map();
    for (const c of cited) {
      const key = c.document || c.source;
      if (!cards.has(key)) {
        const card = el("div", "dq-card");
        card.append(el("div", "dq-card-title", c.title || sourceLabel(c.source)));
        const meta = el("div", "dq-card-meta", [dayLabel(c.date), sourceLabel(c.source)].filter(Boolean).join(" · "));
        meta.title = c.source;
        card.append(meta, el("ol", "dq-quotes"));
        cards.set(key, card);
        box.append(card);
      }
      const item = el("li");
      const b = el("button", "dq-quote");
      b.type = "button";
      const q = el("span", "dq-q");
      const words = bold.get(c.id);
      const at = words ? c.quote.indexOf(words) : -1;
      emphasised(q, c.quote, at >= 0 ? [at, at + words.length] : null);
      b.append(el("span", "dq-n", String(c.id)), q);
      b.addEventListener("click", () => openCitation(c, b));
      item.append(b);
      cards.get(key).lastChild.append(item);
    }
    return box;
  }

  function renderResult(box, result) {
    box.textContent = "";
    const answer = el("div", result.refused ? "dq-answer dq-refusal" : "dq-answer dq-form-" + result.form);
    if (result.notice) answer.append(el("p", "dq-notice", result.notice));
    const byId = new Map(result.citations.map((c) => [c.id, c]));
    if (result.refused) {
      const p = el("p", "dq-lead dq-refused");
      p.append(el("strong", "", "The documents don't say."));
      const reason = result.answer.split(" The closest passages")[0];
      if (!reason.startsWith("The documents don't say")) p.append(" " + reason);
      answer.append(p);
    } else {
      answer.append(body(result, byId));
    }
    const list = sources(result);
    if (list) answer.append(list);
    box.append(answer);
  }

  const THUMB = "M7 10v11M7 10l4-8a2 2 0 0 1 2 2v4h5.5a2 2 0 0 1 2 2.3l-1.3 8A2 2 0 0 1 17.2 20H7m0-10H4a1 1 0 0 0-1 1v9a1 1 0 0 0 1 1h3";
  function thumb(down) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("fill", "none");
    svg.setAttribute("stroke", "currentColor");
    svg.setAttribute("stroke-width", "2");
    svg.setAttribute("stroke-linecap", "round");
    svg.setAttribute("stroke-linejoin", "round");
    svg.setAttribute("aria-hidden", "true");
    if (down) svg.setAttribute("transform", "rotate(180)");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", THUMB);
    svg.append(path);
    return svg;
  }

  // Helpful / not helpful under each answer; the comment box opens after a verdict,
  // which is kept when the comment is sent or skipped.
  function renderFeedback(box, result) {
    const bar = el("div", "feedback");
    const more = el("div", "more");
    more.hidden = true;
    const comment = el("input", "comment");
    comment.placeholder = "Thanks! What was right or missing? (optional)";
    comment.maxLength = 2000;
    comment.setAttribute("aria-label", "Comment on this answer");
    const sendButton = el("button", "", "Send");
    const skipButton = el("button", "", "Skip");
    sendButton.type = skipButton.type = "button";
    const status = el("span", "status");
    let verdict = null;
    const votes = [];
    const send = async (withComment) => {
      const cited = result.refused ? result.closest : result.citations;
      const body = { verdict, question: result.question, answer: result.answer,
        citations: cited, comment: (withComment && comment.value.trim()) || null };
      const response = await fetch("/api/feedback", { method: "POST", headers, body: JSON.stringify(body) });
      if (response.ok) {
        bar.textContent = "";
        bar.append(el("span", "status", "Thanks, your feedback was saved."));
      } else {
        const data = await response.json().catch(() => ({}));
        status.textContent = data.message || "The feedback could not be saved.";
      }
    };
    for (const [value, label] of [["helpful", "Helpful"], ["not_helpful", "Not helpful"]]) {
      const b = el("button", "vote");
      b.type = "button";
      b.dataset.verdict = value;
      b.setAttribute("aria-label", label);
      b.setAttribute("aria-pressed", "false");
      b.title = label;
      b.append(thumb(value !== "helpful"));
      b.addEventListener("click", () => {
        verdict = value;
        for (const v of votes) v.setAttribute("aria-pressed", String(v === b));
        more.hidden = false;
        comment.focus();
      });
      votes.push(b);
      bar.append(b);
    }
    sendButton.addEventListener("click", () => send(true));
    skipButton.addEventListener("click", () => send(false));
    comment.addEventListener("keydown", (event) => {
      if (event.key === "Enter") { event.preventDefault(); send(true); }
    });
    more.append(comment, sendButton, skipButton);
    bar.append(status, more);
    box.append(bar);
  }

  async function openCitation(c, opener) {
    lastOpener = opener || null;
    const response = await fetch("/api/documents/" + encodeURIComponent(c.document), { headers });
    const data = await response.json();
    const text = document.getElementById("doc-text");
    text.textContent = "";
    viewer.hidden = false;
    if (!response.ok) {
      text.textContent = data.message || "The article could not be loaded.";
      document.getElementById("back").focus();
      return;
    }
    document.getElementById("doc-title").textContent = data.title || sourceLabel(data.source);
    const meta = document.getElementById("doc-meta");
    meta.textContent = [dayLabel(data.date), sourceLabel(data.source)].filter(Boolean).join(" · ");
    meta.title = data.source;
    const mark = el("mark", "", data.text.slice(c.start, c.end));
    text.append(data.text.slice(0, c.start), mark, data.text.slice(c.end));
    mark.scrollIntoView({ block: "center" });
    document.getElementById("back").focus();
  }
  function closeViewer() {
    viewer.hidden = true;
    if (lastOpener) lastOpener.focus();
  }
  document.getElementById("back").addEventListener("click", closeViewer);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !viewer.hidden) closeViewer();
  });

  function dates() {
    const value = (id) => document.getElementById(id).value || null;
    return { as_of: value("as-of"), since: value("since"), until: value("until") };
  }

  async function ask(question) {
    welcome.hidden = true;
    chat.append(el("div", "msg dq-question", question));
    const box = el("div", "msg bot");
    const live = el("div", "dq-answer dq-streaming");
    live.append(el("p", "dq-lead", "…"));
    box.append(live);
    chat.append(box);
    scrollDown();
    let text = "";
    try {
      const response = await fetch("/api/ask/stream", {
        method: "POST", headers,
        body: JSON.stringify({ question, history: history.slice(-20), ...dates() }),
      });
      if (!response.ok) {
        const data = await response.json().catch(() => ({}));
        throw new Error(data.message || "The server answered " + response.status + ".");
      }
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event = (/^event: (.*)$/m.exec(block) || [])[1];
          const data = JSON.parse((/^data: (.*)$/m.exec(block) || [])[1] || "null");
          if (event === "delta") { text += data.text; live.firstChild.textContent = text; scrollDown(); }
          if (event === "error") throw new Error(data.message);
          if (event === "done") {
            renderResult(box, data);
            renderFeedback(box, data);
            history.push({ role: "user", content: question }, { role: "assistant", content: data.answer });
            scrollDown();
          }
        }
      }
    } catch (error) {
      box.textContent = "";
      box.append(el("div", "dq-error", error.message));
    }
  }

  // What this reader may ask about, and example questions for the empty chat.
  async function loadAbout() {
    const response = await fetch("/api/about", { headers }).catch(() => null);
    if (!response || !response.ok) return;
    const about = await response.json();
    const count = about.documents || 0;
    let loaded = `${count.toLocaleString("en")} document${count === 1 ? "" : "s"}`;
    if (about.dates) {
      const [first, last] = about.dates.map(dayLabel);
      loaded += first === last ? ` · ${first}` : ` · ${first} – ${last}`;
    }
    if (about.user) loaded += ` · ${about.user}`;
    document.getElementById("loaded").textContent = loaded;
    const box = document.getElementById("examples");
    box.textContent = "";
    for (const question of about.examples || []) {
      const b = el("button", "example", question);
      b.type = "button";
      b.addEventListener("click", () => ask(question));
      box.append(b);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const question = input.value.trim();
    if (!question) return;
    input.value = "";
    ask(question);
  });
  loadAbout();
})();
