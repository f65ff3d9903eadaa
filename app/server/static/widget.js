// docqa chat bubble. Add to any page:
//   <script src="https://docqa.example.org/embed/widget.js" defer></script>
// Optional attributes: data-user-token="..." (the signed token of the portal's user),
// data-token="..." (a service token, DOCQA_SERVER__API_TOKEN), data-title="Ask the archive".
// The page's origin must be in DOCQA_SERVER__EMBED_ORIGINS. A token that refreshes is handed
// over with window.postMessage({type: "docqa:token", token}, location.origin) or
// window.docqaWidget.setToken(token). A user token never goes into a URL.
"use strict";
(() => {
  const script = document.currentScript;
  const base = new URL(script.src).origin;
  const token = script.dataset.token;
  let userToken = script.dataset.userToken || null;
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
  // The user token reaches the chat frame by message, to its origin only.
  function handOver() {
    if (userToken && frame.contentWindow) {
      frame.contentWindow.postMessage({ type: "docqa:token", token: userToken }, base);
    }
  }
  frame.addEventListener("load", handOver);
  window.addEventListener("message", (event) => {
    if (event.source !== window || event.origin !== location.origin) return;
    if (event.data && event.data.type === "docqa:token" && typeof event.data.token === "string") {
      userToken = event.data.token;
      handOver();
    }
  });
  window.docqaWidget = { setToken(value) { userToken = value; handOver(); } };
  document.body.append(frame, bubble);
})();
