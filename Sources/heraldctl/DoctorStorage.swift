import HeraldControl

extension Doctor {
    /// The database as heraldd sees it: written, or why not.
    func storage(_ daemon: StatusReply) -> DoctorCheck {
        guard let problem = daemon.storage else { return .ok("database", "written as each answer arrives") }
        return .error("database", problem,
                      fix: "free disk space or fix the file system; `journalctl --user -u herald` says what failed")
    }
}
