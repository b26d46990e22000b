/*
 * Clinic chat widget: one line on the clinic's site.
 *
 *   <script src="https://BOT-HOST/widget.js" defer
 *           data-title="Ask about back spasms" data-position="right"
 *           data-accent="#0f766e" data-open="false"></script>
 *
 * Draws a chat bubble; clicking it opens a small panel that frames BOT-HOST/widget.
 * It touches nothing else on the page: its elements live in a shadow root
 * (no global CSS), and its only global is window.ClinicChatWidget.
 * Close it with its button, the bubble, or Escape. On phones (<= 480px) the panel
 * fills the screen.
 */
(function () {
  "use strict";
  if (window.ClinicChatWidget) return; // included twice: keep the first

  var script = document.currentScript;
  if (!script) {
    var found = document.querySelectorAll('script[src*="widget.js"]');
    script = found[found.length - 1];
  }
  if (!script || !script.src || !document.documentElement.attachShadow) return;

  var botOrigin = new URL(script.src, window.location.href).origin;
  var data = script.dataset || {};
  var title = (data.title || "Questions about back spasms").trim().slice(0, 60) || "Questions about back spasms";
  var side = data.position === "left" ? "left" : "right";
  var accent = /^#(?:[0-9a-fA-F]{3}){1,2}$/.test(data.accent || "") ? data.accent : "#0f766e";
  var openOnLoad = data.open === "" || data.open === "true" || data.open === "1";
  var onAccent = readableOn(accent);

  // The one global; its methods do nothing until the widget is on the page.
  var api = { open: noop, close: noop, toggle: noop, isOpen: function () { return false; } };
  window.ClinicChatWidget = api;
  function noop() {}

  /* Black or white, whichever reads better on the clinic's accent colour (WCAG relative luminance). */
  function readableOn(hex) {
    var h = hex.slice(1);
    if (h.length === 3) h = h.replace(/./g, "$&$&");
    var lum = [0, 2, 4].map(function (i) {
      var c = parseInt(h.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    var l = 0.2126 * lum[0] + 0.7152 * lum[1] + 0.0722 * lum[2];
    return (1.05 / (l + 0.05)) >= ((l + 0.05) / 0.05) ? "#ffffff" : "#111111";
  }

  function start() {
    var css = [
      ":host{all:initial}",
      ".bubble{position:fixed;bottom:20px;" + side + ":20px;width:60px;height:60px;border-radius:50%;border:0;",
      "background:" + accent + ";color:" + onAccent + ";box-shadow:0 6px 20px rgba(0,0,0,.28);cursor:pointer;display:flex;",
      "align-items:center;justify-content:center;padding:0;z-index:2147483000}",
      ".bubble:hover{filter:brightness(1.08)}",
      ".bubble:focus-visible,.close:focus-visible{outline:3px solid #1d4ed8;outline-offset:3px}",
      ".bubble svg{width:30px;height:30px;fill:currentColor}",
      ".panel{position:fixed;bottom:92px;" + side + ":20px;width:380px;height:620px;max-width:calc(100vw - 40px);",
      "max-height:calc(100vh - 112px);display:none;flex-direction:column;background:#fff;border-radius:14px;",
      "overflow:hidden;box-shadow:0 14px 44px rgba(0,0,0,.3);z-index:2147483001;",
      "font:400 16px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}",
      ".panel.open{display:flex}",
      ".bar{display:flex;align-items:center;gap:8px;min-height:48px;padding:0 6px 0 16px;background:" + accent + ";color:" + onAccent + "}",
      ".bar-title{flex:1;margin:0;font-size:16px;font-weight:600;line-height:1.3;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}",
      ".close{width:44px;height:44px;border:0;border-radius:8px;background:transparent;cursor:pointer;",
      "font:400 28px/1 system-ui,sans-serif;padding:0;color:inherit}",
      ".close:hover{background:rgba(255,255,255,.18)}",
      "iframe{flex:1;width:100%;border:0;display:block;background:#fff}",
      "@media (max-width:480px){.panel{top:0;left:0;right:0;bottom:0;width:100%;height:100%;max-width:none;",
      "max-height:none;border-radius:0}.panel.open~.bubble{display:none}}"
    ].join("");

    var host = document.createElement("div");
    host.setAttribute("data-clinic-chat-widget", "");
    host.style.cssText = "all:initial;position:fixed;width:0;height:0;bottom:0;" + side + ":0;z-index:2147483000";
    var root = host.attachShadow({ mode: "open" });

    // A constructed stylesheet is not blocked by a host page's style-src CSP; <style> is the fallback.
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      var style = document.createElement("style");
      style.textContent = css;
      root.appendChild(style);
    }

    var panel = document.createElement("div");
    panel.className = "panel";
    panel.id = "clinic-chat-panel";
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", title);

    var bar = document.createElement("div");
    bar.className = "bar";
    var barTitle = document.createElement("h2");
    barTitle.className = "bar-title";
    barTitle.textContent = title;
    var closeButton = document.createElement("button");
    closeButton.type = "button";
    closeButton.className = "close";
    closeButton.setAttribute("aria-label", "Close chat");
    closeButton.textContent = "\u00d7";
    bar.appendChild(barTitle);
    bar.appendChild(closeButton);
    panel.appendChild(bar);

    var bubble = document.createElement("button");
    bubble.type = "button";
    bubble.className = "bubble";
    bubble.setAttribute("aria-controls", panel.id);
    bubble.setAttribute("aria-expanded", "false");
    bubble.setAttribute("aria-label", "Open chat: " + title);
    var svgNS = "http://www.w3.org/2000/svg";
    var icon = document.createElementNS(svgNS, "svg");
    icon.setAttribute("viewBox", "0 0 24 24");
    icon.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(svgNS, "path");
    path.setAttribute("d", "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2zm3 6a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z");
    icon.appendChild(path);
    bubble.appendChild(icon);

    root.appendChild(panel);
    root.appendChild(bubble);

    var frame = null;
    var isOpen = false;

    function ensureFrame() {
      if (frame) return;
      frame = document.createElement("iframe");
      frame.title = title;
      frame.src = botOrigin + "/widget?embedded=1&title=" + encodeURIComponent(title) + "&accent=" + encodeURIComponent(accent);
      // Our own page, but it has no business navigating the clinic's page.
      frame.setAttribute("sandbox", "allow-scripts allow-same-origin allow-forms allow-popups allow-popups-to-escape-sandbox");
      frame.addEventListener("load", function () {
        if (isOpen) focusFrame();
      });
      panel.appendChild(frame);
    }

    function focusFrame() {
      try {
        frame.focus();
        frame.contentWindow.postMessage({ type: "clinic-chat:focus" }, botOrigin);
      } catch (e) { /* not loaded yet */ }
    }

    function open() {
      ensureFrame();
      isOpen = true;
      panel.classList.add("open");
      bubble.setAttribute("aria-expanded", "true");
      bubble.setAttribute("aria-label", "Close chat: " + title);
      focusFrame();
    }

    function close() {
      if (!isOpen) return;
      isOpen = false;
      panel.classList.remove("open");
      bubble.setAttribute("aria-expanded", "false");
      bubble.setAttribute("aria-label", "Open chat: " + title);
      bubble.focus();
    }

    function toggle() {
      if (isOpen) close(); else open();
    }

    bubble.addEventListener("click", toggle);
    closeButton.addEventListener("click", close);
    document.addEventListener("keydown", function (event) {
      if (isOpen && event.key === "Escape") close();
    });
    // Escape pressed inside the frame: the widget page tells us (only our frame is listened to).
    window.addEventListener("message", function (event) {
      if (!frame || event.source !== frame.contentWindow || event.origin !== botOrigin) return;
      if (event.data && event.data.type === "clinic-chat:close") close();
    });

    document.body.appendChild(host);
    api.open = open;
    api.close = close;
    api.toggle = toggle;
    api.isOpen = function () { return isOpen; };
    if (openOnLoad) open();
  }

  // The snippet may sit in <head> without defer: wait for <body> then.
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
