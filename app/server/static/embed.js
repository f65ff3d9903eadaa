// The compact chat for <iframe> embedding. Every piece of text from the server is
// inserted with textContent: document text can never become markup here.
"use strict";
(() => {
  const chat = document.getElementById("chat");
  const form = document.getElementById("ask");
  const input = document.getElementById("question");
  const viewer = document.getElementById("viewer");
  let token = new URLSearchParams(location.hash.slice(1)).get("token");
  const history = [];

  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = "Bearer " + token;

  // The host page's widget hands over its user's token (and each refreshed one). Only the
  // page framing this one can send it: the server lets only DOCQA_EMBED_ORIGINS frame it.
  window.addEventListener("message", (event) => {
    if (event.source !== window.parent || window.parent === window) return;
    const data = event.data;
    if (data && data.type === "docqa:token" && typeof data.token === "string" && data.token) {
      token = data.token;
      headers.authorization = "Bearer " + token;
    }
  });

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function scrollDown() { chat.scrollTop = chat.scrollHeight; }

  // "[n]" markers become buttons that open the cited passage; "[unsupported]" is flagged.
  function renderAnswer(box, text, cited, notice) {
    box.textContent = "";
    if (notice) box.append(el("p", "notice", notice));
    const byId = new Map(cited.map((c) => [c.id, c]));
    for (const part of text.split(/(\[\d+\]|\[unsupported\])/)) {
      const m = /^\[(\d+)\]$/.exec(part);
      if (part === "[unsupported]") {
        box.append(el("em", "unsupported", "(not supported by the passages)"));
      } else if (m && byId.has(Number(m[1]))) {
        const b = el("button", "cite", part);
        b.type = "button";
        b.addEventListener("click", () => openCitation(byId.get(Number(m[1]))));
        box.append(b);
      } else {
        box.append(document.createTextNode(part));
      }
    }
  }

  // An extractive answer is drawn from its sentences: the words that answer a
  // who/when/where/how-many question (answer_span) are shown in bold.
  function renderSentences(box, result) {
    box.textContent = "";
    if (result.notice) box.append(el("p", "notice", result.notice));
    const byId = new Map(result.citations.map((c) => [c.id, c]));
    result.sentences.forEach((s, i) => {
      if (i) box.append(document.createTextNode(" "));
      const span = s.answer_span;
      if (span) {
        box.append(document.createTextNode(s.text.slice(0, span[0])));
        box.append(el("strong", "answer-span", s.text.slice(span[0], span[1])));
        box.append(document.createTextNode(s.text.slice(span[1])));
      } else {
        box.append(document.createTextNode(s.text));
      }
      for (const id of s.citations) {
        if (!byId.has(id)) continue;
        const b = el("button", "cite", "[" + id + "]");
        b.type = "button";
        b.addEventListener("click", () => openCitation(byId.get(id)));
        box.append(document.createTextNode(" "), b);
      }
    });
  }

  function renderSources(box, result) {
    const cited = result.refused ? result.closest : result.citations;
    if (!cited.length) return;
    const list = el("ol", "sources");
    for (const c of cited) {
      const item = el("li");
      const b = el("button", "cite", (c.title || c.source) + (c.date ? " · " + c.date : ""));
      b.type = "button";
      b.addEventListener("click", () => openCitation(c));
      item.append(b, el("q", "", c.quote));
      list.append(item);
    }
    box.append(list);
  }

  // Helpful / not helpful, with an optional comment, under each answer.
  function renderFeedback(box, result) {
    const bar = el("div", "feedback");
    const comment = el("input", "comment");
    comment.placeholder = "Comment (optional)";
    comment.maxLength = 2000;
    comment.setAttribute("aria-label", "Comment on this answer");
    const status = el("span", "status");
    const send = async (verdict) => {
      const cited = result.refused ? result.closest : result.citations;
      const body = { verdict, question: result.question, answer: result.answer,
        citations: cited, comment: comment.value.trim() || null };
      const response = await fetch("/api/feedback", { method: "POST", headers, body: JSON.stringify(body) });
      if (response.ok) {
        bar.textContent = "";
        bar.append(el("span", "status", "Thanks, your feedback was saved."));
      } else {
        const data = await response.json().catch(() => ({}));
        status.textContent = data.message || "The feedback could not be saved.";
      }
    };
    for (const [verdict, label, text] of [["helpful", "Helpful", "👍"], ["not_helpful", "Not helpful", "👎"]]) {
      const b = el("button", "vote", text);
      b.type = "button";
      b.dataset.verdict = verdict;
      b.setAttribute("aria-label", label);
      b.title = label;
      b.addEventListener("click", () => send(verdict));
      bar.append(b);
    }
    bar.append(comment, status);
    box.append(bar);
  }

  async function openCitation(c) {
    const response = await fetch("/api/documents/" + encodeURIComponent(c.document), { headers });
    const data = await response.json();
    const text = document.getElementById("doc-text");
    text.textContent = "";
    if (!response.ok) {
      text.textContent = data.message || "The article could not be loaded.";
    } else {
      document.getElementById("doc-title").textContent = data.title || data.source;
      document.getElementById("doc-meta").textContent = [data.date, data.source].filter(Boolean).join(" · ");
      const mark = el("mark", "", data.text.slice(c.start, c.end));
      text.append(document.createTextNode(data.text.slice(0, c.start)), mark,
        document.createTextNode(data.text.slice(c.end)));
      viewer.hidden = false;
      mark.scrollIntoView({ block: "center" });
      return;
    }
    viewer.hidden = false;
  }
  document.getElementById("back").addEventListener("click", () => { viewer.hidden = true; });

  async function ask(question) {
    chat.append(el("div", "msg user", question));
    const box = el("div", "msg bot", "…");
    chat.append(box);
    scrollDown();
    let text = "";
    try {
      const response = await fetch("/api/ask/stream", {
        method: "POST", headers, body: JSON.stringify({ question, history: history.slice(-20) }),
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
          if (event === "delta") { text += data.text; box.textContent = text; scrollDown(); }
          if (event === "error") throw new Error(data.message);
          if (event === "done") {
            if (data.mode === "extractive" && !data.refused && data.sentences.length) {
              renderSentences(box, data);
            } else {
              renderAnswer(box, data.answer, data.refused ? data.closest : data.citations, data.notice);
            }
            renderSources(box, data);
            renderFeedback(box, data);
            history.push({ role: "user", content: question }, { role: "assistant", content: data.answer });
            scrollDown();
          }
        }
      }
    } catch (error) {
      box.className = "msg bot error";
      box.textContent = error.message;
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const question = input.value.trim();
    if (!question) return;
    input.value = "";
    ask(question);
  });
})();
