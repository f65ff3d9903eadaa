// docqa chat bubble. Add to any page:
//   <script src="https://docqa.example.org/embed/widget.js" defer></script>
// Optional attributes: data-token="..." (when the server requires DOCQA_API_TOKEN),
// data-title="Ask the archive". The page's origin must be in DOCQA_EMBED_ORIGINS.
"use strict";
(() => {
  const script = document.currentScript;
  const base = new URL(script.src).origin;
  const token = script.dataset.token;
  const title = script.dataset.title || "Ask the documents";

  const frame = document.createElement("iframe");
  frame.src = base + "/embed" + (token ? "#token=" + encodeURIComponent(token) : "");
  frame.title = title;
  frame.id = "docqa-frame";
  Object.assign(frame.style, {
    position: "fixed", right: "20px", bottom: "88px", width: "min(380px, calc(100vw - 40px))",
    height: "min(560px, calc(100vh - 120px))", border: "1px solid #cbd5e1", borderRadius: "14px",
    boxShadow: "0 8px 30px rgba(0,0,0,.18)", background: "#fff", display: "none", zIndex: 2147483646,
  });

  const bubble = document.createElement("button");
  bubble.type = "button";
  bubble.id = "docqa-bubble";
  bubble.setAttribute("aria-label", title);
  bubble.title = title;
  bubble.textContent = "?";
  Object.assign(bubble.style, {
    position: "fixed", right: "20px", bottom: "20px", width: "56px", height: "56px",
    borderRadius: "50%", border: "0", background: "#2563eb", color: "#fff", fontSize: "26px",
    cursor: "pointer", boxShadow: "0 4px 14px rgba(0,0,0,.25)", zIndex: 2147483647,
  });
  bubble.addEventListener("click", () => {
    const open = frame.style.display === "none";
    frame.style.display = open ? "block" : "none";
    bubble.textContent = open ? "×" : "?";
  });
  document.body.append(frame, bubble);
})();
