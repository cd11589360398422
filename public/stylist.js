// Stylist: Chainlit 2.12's settings TextInput has no password type, so the API key field
// (widget id "api_key") is switched to type=password whenever the settings panel renders it.
(function () {
  function maskApiKey() {
    document.querySelectorAll('input#api_key').forEach(function (input) {
      if (input.type !== 'password') {
        input.type = 'password';
        input.autocomplete = 'off';
      }
    });
  }
  new MutationObserver(maskApiKey).observe(document.documentElement, {
    childList: true,
    subtree: true,
  });
  maskApiKey();
})();
