fn main() -> std::process::ExitCode {
    forgeflow_cli::main()
}
