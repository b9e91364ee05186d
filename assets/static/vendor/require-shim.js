/* A stand-in for require.js (which bertviz's views would fetch from a CDN), served with the app.
 * bertviz only calls require.config({...}) and requirejs(['jquery', 'd3'], callback); jQuery
 * and d3 are loaded by <script> tags before its code runs, as the globals jQuery and d3. */
(function () {
  var modules = { jquery: function () { return window.jQuery; }, d3: function () { return window.d3; } };
  function requirejs(names, callback) {
    callback.apply(null, names.map(function (name) { return modules[name](); }));
  }
  requirejs.config = function () {};
  window.requirejs = window.require = requirejs;
})();
