/* global window, SwaggerUIBundle */
// The reference of the HTTP API, drawn by Swagger UI from this server's own /openapi.json.
// `validatorUrl: null`: Swagger UI would otherwise send the document to validator.swagger.io.
// The base layout has no box to load another document from elsewhere.
window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#reference',
  layout: 'BaseLayout',
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
});
