fn main() {
    std::process::exit(widecoin_cli::main_cli())
}
