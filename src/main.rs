fn main() {
    harbor_lens::mount();
}
