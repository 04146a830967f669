// Draws the ```mermaid blocks of a docs page. Loaded as a file (never inline) so
// the viewer's Content-Security-Policy can keep script-src to 'self'.
// securityLevel "strict": diagram labels are sanitised and click handlers are
// ignored, because the diagram text comes from the documented repository.
"use strict";
if (typeof window.mermaid !== "undefined") {
  window.mermaid.initialize({ startOnLoad: true, securityLevel: "strict" });
}
