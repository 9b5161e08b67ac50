/* Mount rasa-webchat on the demo page and make it usable with a keyboard and a screen reader. */
(function () {
  "use strict";

  var config = window.NETBOT_CONFIG || {};
  // The Rasa server: an explicit socket URL, else this page's own host on Rasa's port.
  var socketUrl = config.socketUrl ||
    (window.location.protocol + "//" + window.location.hostname + ":" + (config.rasaPort || 5005));
  window.NETBOT_SOCKET_URL = socketUrl;

  var mount = document.getElementById("netbot-chat");
  if (!window.WebChat || !mount) {
    if (mount) {
      mount.textContent = "The chat could not be loaded (run `make install`).";
    }
    return;
  }

  window.WebChat.default({
    socketUrl: socketUrl,
    socketPath: "/socket.io/",
    initPayload: "/greet",
    title: "NET information assistant",
    subtitle: "General information, not medical advice",
    inputTextFieldHint: "Ask about NETs…",
    connectingText: "Connecting…",
    hideWhenNotConnected: false,
    showMessageDate: false,
    // Keep the conversation (and the session id sent to Rasa) across reloads.
    params: { storage: "local" },
    customMessageDelay: function () { return 150; },
    mainColor: "#1d4f91",
    userBackgroundColor: "#1d4f91",
    userTextColor: "#ffffff",
    assistBackgoundColor: "#eef2f7",
    assistTextColor: "#111111"
  }, mount);

  // ---- accessibility: names, roles and keyboard access the widget does not provide ----
  function label(el, text) {
    if (el && el.getAttribute("aria-label") !== text) {
      el.setAttribute("aria-label", text);
    }
  }

  function pressOnEnter(event) {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      event.currentTarget.click();
    }
  }

  function enhance() {
    var open = !!mount.querySelector(".rw-conversation-container");
    var launcher = mount.querySelector(".rw-launcher");
    if (launcher) {
      label(launcher, open ? "Close the chat" : "Open the chat with the NET information assistant");
      launcher.setAttribute("aria-expanded", open ? "true" : "false");
    }
    var conversation = mount.querySelector(".rw-conversation-container");
    if (conversation && conversation.getAttribute("role") !== "dialog") {
      conversation.setAttribute("role", "dialog");
      label(conversation, "Chat with the NET information assistant");
    }
    var log = mount.querySelector(".rw-messages-container");
    if (log && log.getAttribute("role") !== "log") {
      log.setAttribute("role", "log");
      log.setAttribute("aria-live", "polite");
      label(log, "Conversation");
    }
    label(mount.querySelector(".rw-new-message"), "Your question");
    label(mount.querySelector(".rw-send"), "Send");
    label(mount.querySelector(".rw-close-button"), "Close the chat");
    var replies = mount.querySelectorAll(".rw-reply:not(a)");
    for (var i = 0; i < replies.length; i++) {
      var reply = replies[i];
      if (!reply.hasAttribute("tabindex")) {
        reply.setAttribute("role", "button");
        reply.setAttribute("tabindex", "0");
        reply.addEventListener("keydown", pressOnEnter);
      }
    }
  }

  // A chosen button is re-rendered by the widget and the focus would fall to the page's body:
  // give it back to the question box, for the next question (WCAG 2.4.3).
  mount.addEventListener("click", function (event) {
    if (!event.target.closest || !event.target.closest(".rw-reply:not(a)")) {
      return;
    }
    window.setTimeout(function () {
      var box = mount.querySelector(".rw-new-message");
      if (box && !box.disabled) {
        box.focus();
      }
    }, 0);
  });

  new MutationObserver(enhance).observe(mount, { childList: true, subtree: true });
  enhance();
})();
