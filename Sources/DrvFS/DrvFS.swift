/// DrvFS: host folders shown inside a distro at fixed 0777/0555 modes
/// (milestone M6). Nothing is implemented yet.
public enum DrvFS {
    public static let implemented = false
}
