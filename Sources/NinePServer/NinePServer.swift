import VolFS

/// NinePServer: the distro's file tree over 9P2000.L (milestone M7).
/// Nothing is implemented yet.
public enum NinePServer {
    public static let implemented = false
}
