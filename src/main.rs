fn main() {
    // The same module runs the page and, where there is no window, the crawl worker.
    if web_sys::window().is_some() {
        harbor_lens::mount();
    } else {
        harbor_lens::worker::serve();
    }
}
