/* Summary page: filter requests leave out empty fields, so pushed URLs read like bookmarks
 * (/summary/?area=a1 rather than /summary/?area=a1&customer=&from=&to=&breakdown=).
 * The server treats a missing field and an empty one alike.
 */
(function () {
  "use strict";

  document.addEventListener("htmx:configRequest", function (event) {
    var detail = event.detail;
    if (detail.verb !== "get" || !(detail.elt instanceof HTMLFormElement) || !detail.elt.hasAttribute("data-drop-empty")) {
      return;
    }
    var empty = [];
    detail.formData.forEach(function (value, name) {
      if (value === "" && detail.formData.getAll(name).length === 1) { empty.push(name); }
    });
    empty.forEach(function (name) { detail.formData.delete(name); });
  });
})();
