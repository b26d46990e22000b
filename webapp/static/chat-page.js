/*
 * What the Gradio chat page needs beyond Gradio, for people reading it in pain.
 *
 * 1. The newest reply in view. The chat is a pane of its own height (chat.css); after
 *    each update the pane shows the whole newest exchange when it fits, else the reply's
 *    first lines (an emergency notice leads the reply, so that is what is seen first).
 *    The page itself never scrolls: the input stays at the bottom.
 * 2. Screen readers: Gradio labels each message with its raw content ("bot's message:
 *    <div class=...>"); those labels are dropped so the visible text is read instead.
 * 3. The menu (New conversation, and the clinic's links on a phone) with a confirmation
 *    before anything is cleared.
 * 4. The input: Send is disabled while the box is empty; a counter near the limit and a
 *    notice past it (a long message is never cut: sent, it is still checked for warning signs).
 * 5. Thumbs under each answer: 40 px targets, a visible thanks, one vote per answer (a
 *    random id; changing it updates the stored vote), optional reasons for a thumbs-down.
 *
 * Settings and texts come from <meta name="bs-chat-config"> (prompts/en/interface.toml).
 */
(function () {
  "use strict";
  var config = {};
  try {
    var meta = document.querySelector('meta[name="bs-chat-config"]');
    config = JSON.parse((meta && meta.getAttribute("content")) || "{}");
  } catch (e) { config = {}; }
  var texts = config.texts || {};
  var maxChars = config.maxChars || 2000;
  var RAW_LABEL = /^(?:user|bot|assistant)'s message: [\s\S]*[<&]/;
  var SVG = "http://www.w3.org/2000/svg";
  var THUMB = "M2 21h4V9H2v12zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8-.4-1.1L13.2 1 6.6 7.6C6.2 8 6 8.5 6 9v10a2 2 0 0 0 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7v-2z";

  function t(table, key) { return (texts[table] && texts[table][key]) || ""; }
  function fill(text, count) {
    return text.replace("{count}", count.toLocaleString("en-US")).replace("{limit}", maxChars.toLocaleString("en-US"));
  }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function $(selector) { return document.querySelector(selector); }

  // -- 1. the newest reply in view -------------------------------------------------------------

  var placed = new WeakSet(); // replies too tall for the pane, already shown from their top

  function follow() {
    var pane = $("#bs-chat .bubble-wrap");
    if (!pane) return;
    var rows = pane.querySelectorAll(".message-row");
    var last = rows[rows.length - 1];
    if (!last) return;
    if (!last.classList.contains("bot-row")) { pane.scrollTop = pane.scrollHeight; return; }
    if (placed.has(last)) return; // the patient reads it from the top now: leave the scroll to them
    var question = rows.length > 1 && rows[rows.length - 2].classList.contains("user-row") ? rows[rows.length - 2] : null;
    var view = pane.getBoundingClientRect();
    var reply = last.getBoundingClientRect();
    var top = question ? question.getBoundingClientRect().top : reply.top;
    if (reply.bottom - top <= view.height - 8) { pane.scrollTop = pane.scrollHeight; return; }
    var context = question ? Math.min(question.getBoundingClientRect().height, 48) : 0;
    pane.scrollTop += reply.top - view.top - context - 4;
    if (last.querySelector(".bs-referral")) placed.add(last); // finished: stop following this one
  }

  // -- 2. labels ---------------------------------------------------------------------------------

  function fixLabels(root) {
    if (root.nodeType !== 1) return;
    var nodes = [root].concat(Array.prototype.slice.call(root.querySelectorAll("[aria-label]")));
    nodes.forEach(function (node) {
      var label = node.getAttribute("aria-label");
      if (label && RAW_LABEL.test(label)) node.removeAttribute("aria-label");
    });
  }

  // -- 3. the menu and its confirmation ------------------------------------------------------------

  function menuOpen(open) {
    var button = $("#bs-menu-button");
    var list = $("#bs-menu-list");
    if (!button || !list) return;
    list.hidden = !open;
    button.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      var first = list.querySelector("[role=menuitem]");
      if (first) first.focus();
    }
  }

  function menuItems() {
    return Array.prototype.slice.call(document.querySelectorAll("#bs-menu-list [role=menuitem]")).filter(function (item) {
      return item.offsetParent !== null;
    });
  }

  function askToClear() {
    menuOpen(false);
    var dialog = $("#bs-confirm");
    if (dialog && dialog.showModal) {
      dialog.showModal();
      $("#bs-confirm-no").focus(); // the safe choice is the default
    } else if (window.confirm(t("menu", "confirm"))) {
      clearChat();
    }
  }

  function clearChat() {
    var clear = $("#bs-clear");
    if (clear) clear.click();
    var box = $("#bs-input textarea");
    if (box) box.focus();
    setTimeout(updateInput, 0);
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    if (target.closest("#bs-menu-button")) {
      menuOpen($("#bs-menu-list").hidden);
    } else if (target.closest("#bs-new-conversation")) {
      askToClear();
    } else if (target.closest("#bs-confirm-yes")) {
      $("#bs-confirm").close();
      clearChat();
    } else if (target.closest("#bs-confirm-no")) {
      $("#bs-confirm").close();
      var button = $("#bs-menu-button");
      if (button) button.focus();
    } else if (!target.closest("#bs-menu-list")) {
      var list = $("#bs-menu-list");
      if (list && !list.hidden) menuOpen(false);
    } else if (target.closest(".bs-menu-contact")) {
      menuOpen(false);
    }
  });

  document.addEventListener("keydown", function (event) {
    var list = $("#bs-menu-list");
    if (!list || list.hidden || !(event.target instanceof Element) || !event.target.closest(".bs-menu")) return;
    var items = menuItems();
    var at = items.indexOf(document.activeElement);
    if (event.key === "Escape") {
      event.preventDefault();
      menuOpen(false);
      $("#bs-menu-button").focus();
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      var next = (at + (event.key === "ArrowDown" ? 1 : -1) + items.length) % items.length;
      items[next].focus();
    } else if (event.key === "Tab") {
      menuOpen(false);
    }
  });

  // -- 4. the input ---------------------------------------------------------------------------------

  function updateInput() {
    var box = $("#bs-input textarea");
    if (!box) return;
    var count = box.value.length;
    var send = $("#bs-input .submit-button");
    if (send) {
      send.disabled = !box.value.trim();
      send.setAttribute("aria-label", t("input", "send") || "Send");
    }
    var counter = $("#bs-counter");
    if (!counter) return;
    var over = count > maxChars;
    var near = count >= Math.floor(maxChars * 0.8);
    counter.hidden = !near;
    counter.classList.toggle("bs-too-long", over);
    counter.textContent = near ? fill(t("input", over ? "too_long" : "counter"), count) : "";
    box.setAttribute("aria-invalid", over ? "true" : "false");
    if (over) box.setAttribute("aria-describedby", "bs-counter"); else box.removeAttribute("aria-describedby");
  }

  document.addEventListener("input", function (event) {
    if (event.target instanceof Element && event.target.closest("#bs-input")) updateInput();
  }, true);

  // Enter on an empty box does nothing (Gradio would send an empty turn).
  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (event.key !== "Enter" || event.shiftKey || !(box instanceof HTMLTextAreaElement) || !box.closest("#bs-input")) return;
    if (!box.value.trim()) { event.preventDefault(); event.stopPropagation(); }
  }, true);

  // -- 5. thumbs under each answer -----------------------------------------------------------------------

  function randomId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function thumb() {
    var svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(SVG, "path");
    path.setAttribute("d", THUMB);
    svg.appendChild(path);
    return svg;
  }

  function feedbackBar(reply) {
    var row = reply.closest(".message-row");
    var previous = row && row.previousElementSibling;
    var asked = previous && previous.querySelector(".bs-user");
    var vote = { id: randomId(), question: asked ? asked.innerText : "", answer: reply.innerText };

    var bar = el("div", "bs-feedback");
    bar.setAttribute("role", "group");
    bar.setAttribute("aria-label", t("feedback", "question"));
    var label = el("span", "bs-feedback-label", t("feedback", "question"));
    var up = el("button", "bs-vote bs-vote-up");
    var down = el("button", "bs-vote bs-vote-down");
    [[up, "up"], [down, "down"]].forEach(function (pair) {
      pair[0].type = "button";
      pair[0].appendChild(thumb());
      pair[0].setAttribute("aria-label", t("feedback", pair[1]));
      pair[0].setAttribute("aria-pressed", "false");
    });
    var status = el("p", "bs-feedback-status");
    status.setAttribute("role", "status");
    var reasons = el("div", "bs-reasons");
    reasons.setAttribute("role", "group");
    reasons.setAttribute("aria-label", t("feedback", "reason_prompt"));
    reasons.hidden = true;
    reasons.appendChild(el("span", "bs-reasons-label", t("feedback", "reason_prompt")));
    var chips = [];
    Object.keys((texts.feedback && texts.feedback.reasons) || {}).forEach(function (key) {
      var chip = el("button", "bs-reason", texts.feedback.reasons[key]);
      chip.type = "button";
      chip.setAttribute("aria-pressed", "false");
      chip.addEventListener("click", function () {
        chips.forEach(function (c) { c.setAttribute("aria-pressed", c === chip ? "true" : "false"); });
        send("down", key, t("feedback", "reason_thanks"));
      });
      chips.push(chip);
      reasons.appendChild(chip);
    });

    function send(value, reason, thanks) {
      up.setAttribute("aria-pressed", value === "up" ? "true" : "false");
      down.setAttribute("aria-pressed", value === "down" ? "true" : "false");
      reasons.hidden = value !== "down";
      if (value === "up") chips.forEach(function (c) { c.setAttribute("aria-pressed", "false"); });
      var body = { id: vote.id, question: vote.question, answer: vote.answer, vote: value };
      if (reason) body.reason = reason;
      fetch("/api/feedback", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
        .then(function (r) { status.textContent = r.ok ? thanks : t("feedback", "failed"); })
        .catch(function () { status.textContent = t("feedback", "failed"); });
    }
    up.addEventListener("click", function () { send("up", null, t("feedback", "thanks")); });
    down.addEventListener("click", function () { send("down", null, t("feedback", "thanks")); });
    bar.appendChild(label);
    bar.appendChild(up);
    bar.appendChild(down);
    bar.appendChild(status);
    bar.appendChild(reasons);
    return bar;
  }

  function addFeedback() {
    if (!config.feedback) return;
    var replies = document.querySelectorAll("#bs-chat .bs-reply");
    Array.prototype.forEach.call(replies, function (reply) {
      if (reply.getAttribute("data-bs-feedback") || !reply.querySelector(".bs-referral")) return; // finished replies only
      if (reply.classList.contains("bs-kind-error")) return; // the page's own notices are not answers
      reply.setAttribute("data-bs-feedback", "1");
      reply.parentNode.insertBefore(feedbackBar(reply), reply.nextSibling);
    });
  }

  // -- wiring -----------------------------------------------------------------------------------------------

  var scheduled = false;
  function update() {
    scheduled = false;
    addFeedback();
    follow();
    updateInput();
  }

  new MutationObserver(function (records) {
    records.forEach(function (r) {
      if (r.type === "attributes") fixLabels(r.target);
      else r.addedNodes.forEach(fixLabels);
    });
    if (!scheduled) {
      scheduled = true;
      window.requestAnimationFrame(update);
    }
  }).observe(document.documentElement, { subtree: true, childList: true, attributes: true, attributeFilter: ["aria-label"] });
  window.addEventListener("resize", function () { if (!scheduled) { scheduled = true; window.requestAnimationFrame(update); } });
})();
