fn main() {
    std::process::exit(git_auditops::cli::main());
}
