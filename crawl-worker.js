// The crawl worker: the page's own wasm module, started where there is no window, so
// `main` serves crawl jobs instead of mounting the app (src/worker.rs).
import init from "./harbor-lens.js";

init({ module_or_path: new URL("./harbor-lens_bg.wasm", import.meta.url) });
