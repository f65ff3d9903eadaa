() => {
  setTimeout(() => {
    const box = document.querySelector("#docqa-article .docqa-scroll");
    const mark = document.getElementById("docqa-mark");
    if (!box || !mark) return;
    if (window.innerWidth < 720) box.scrollIntoView({ block: "start" });
    box.scrollTop += mark.getBoundingClientRect().top - box.getBoundingClientRect().top
      - box.clientHeight / 3;
  }, 50);
}
