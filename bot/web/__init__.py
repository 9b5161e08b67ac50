"""The website widget demo page (index.html, app.js, style.css) and its small static server."""
