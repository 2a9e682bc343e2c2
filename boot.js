// Loads the wasm app. A file of its own rather than trunk's inline loader, because the
// Content-Security-Policy allows no inline script.
import init from "./harbor-lens.js";

init({ module_or_path: new URL("./harbor-lens_bg.wasm", import.meta.url) });
