// Draws the ```mermaid blocks of a docs page. Loaded as a file (never inline) so
// the viewer's Content-Security-Policy can keep script-src to 'self'.
//
// The diagram text comes from the documented repository, so:
// - securityLevel "strict": labels are sanitised, click handlers are ignored;
// - dompurifyConfig also forbids <img> and <style> in labels, so a label cannot
//   make the reader's browser fetch anything;
// - "secure" lists the keys a diagram's own %%{init}%% directive may not change
//   (mermaid's defaults plus the sanitiser and CSS settings).
"use strict";
if (typeof window.mermaid !== "undefined") {
  window.mermaid.initialize({
    startOnLoad: true,
    securityLevel: "strict",
    theme: window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "default",
    dompurifyConfig: { FORBID_TAGS: ["style", "img", "image", "svg"] },
    secure: [
      "secure",
      "securityLevel",
      "startOnLoad",
      "maxTextSize",
      "suppressErrorRendering",
      "maxEdges",
      "dompurifyConfig",
      "themeCSS",
    ],
  });
}
