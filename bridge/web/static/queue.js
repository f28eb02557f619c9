// The exception queue, live: every few seconds the queue's body is fetched again for the same filter and
// page; lines handled elsewhere leave, new ones appear, and a small notice says what changed
// ("2 条新异常 · 1 条已被处理"). Without JavaScript the page is a plain page that a reload refreshes.
(function () {
  "use strict";

  function ids(el) {
    var live = el.querySelector(".queue-live");
    return live ? live.getAttribute("data-ids").trim().split(/\s+/).filter(Boolean) : [];
  }

  function notice(box, added, gone) {
    var parts = [];
    if (added) { parts.push(box.getAttribute("data-new").replace("{n}", added)); }
    if (gone) { parts.push(box.getAttribute("data-gone").replace("{n}", gone)); }
    if (!parts.length) { return; }
    box.textContent = parts.join(" · ");
    box.hidden = false;
    clearTimeout(box._hide);
    box._hide = setTimeout(function () { box.hidden = true; }, 15000);
  }

  function follow(el, box) {
    var every = Math.max(parseInt(el.getAttribute("data-every"), 10) || 5, 2) * 1000;
    var busy = false;
    setInterval(function () {
      var focused = document.activeElement;
      if (busy || document.hidden || (focused && el.contains(focused) && focused.tagName !== "A")) { return; }
      busy = true;
      fetch(el.getAttribute("data-queue-live"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { if (r.ok && !r.redirected) { return r.text(); } throw new Error(r.status); })
        .then(function (html) {
          var before = ids(el);
          var next = document.createElement("div");
          next.innerHTML = html;
          var after = ids(next);
          var added = after.filter(function (id) { return before.indexOf(id) < 0; }).length;
          var gone = before.filter(function (id) { return after.indexOf(id) < 0; }).length;
          if (added || gone || el.innerHTML.length !== html.length) {
            var y = window.scrollY;
            el.innerHTML = html;
            window.scrollTo(0, y);
          }
          notice(box, added, gone);
        })
        .catch(function () { /* keep the list as it is; the next tick tries again */ })
        .then(function () { busy = false; });
    }, every);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("queue-body");
    var box = document.querySelector(".queue-notice");
    if (el && box) { follow(el, box); }
  });
})();
