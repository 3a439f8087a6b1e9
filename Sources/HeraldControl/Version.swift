/// Herald's version, shared by `heraldd` (Status, GetInfo) and `heraldctl --version`.
public let heraldVersion = "0.1.0"
