/*
 * Two fixes to the Gradio chat page, both for people reading it in pain:
 *
 * 1. Gradio labels each message element with its raw content ("bot's message:
 *    <div class=...>"), which a screen reader may read out as markup. Our messages
 *    are HTML, so those labels are dropped and the visible text is read instead.
 * 2. Gradio keeps the chat scrolled to the bottom. When the newest reply leads
 *    with an emergency (or urgent) notice, that notice is scrolled into view
 *    instead, so "call the emergency number now" is what the patient sees first.
 */
(function () {
  "use strict";
  var RAW_LABEL = /^(?:user|bot|assistant)'s message: [\s\S]*[<&]/;
  var shown = new WeakSet();

  function fixLabel(node) {
    var label = node.getAttribute("aria-label");
    if (label && RAW_LABEL.test(label)) node.removeAttribute("aria-label");
  }

  function showEmergency() {
    var replies = document.querySelectorAll("#bs-chat .bs-reply");
    var last = replies[replies.length - 1];
    var notice = last && last.querySelector(".bs-emergency, .bs-urgent");
    if (!notice || shown.has(notice)) return;
    shown.add(notice);
    notice.scrollIntoView({ block: "start", behavior: "auto" });
  }

  function scan(root) {
    if (root.nodeType !== 1) return;
    if (root.hasAttribute("aria-label")) fixLabel(root);
    var labelled = root.querySelectorAll("[aria-label]");
    for (var i = 0; i < labelled.length; i++) fixLabel(labelled[i]);
  }

  var pending = false;
  new MutationObserver(function (records) {
    records.forEach(function (r) {
      if (r.type === "attributes") fixLabel(r.target);
      else r.addedNodes.forEach(scan);
    });
    if (!pending) {
      pending = true;
      // After Gradio's own scroll-to-bottom for this update.
      setTimeout(function () { pending = false; showEmergency(); }, 50);
    }
  }).observe(document.documentElement, { subtree: true, childList: true, attributes: true, attributeFilter: ["aria-label"] });
})();
