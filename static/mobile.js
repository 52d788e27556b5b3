// The mobile certificate waiting page: asks now and then whether the phone
// has answered, and goes on when it has. Without scripts, the page
// refreshes itself (<noscript> meta refresh) and has a button.
"use strict";
const box = document.getElementById("mobile-progress");
if (box) {
  const every = Math.max(1, Number(box.dataset.interval) || 3) * 1000;
  const check = async () => {
    try {
      const r = await fetch(box.dataset.statusUrl, { cache: "no-store" });
      const s = r.ok ? await r.json() : { state: "gone" };
      if (s.state !== "waiting") {
        location.replace(box.dataset.nextUrl);
        return;
      }
    } catch (e) {
      // A network hiccup: ask again.
    }
    setTimeout(check, every);
  };
  setTimeout(check, every);
}
