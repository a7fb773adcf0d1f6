fn main() {
    std::process::exit(widecoin_node::main_widecoind())
}
