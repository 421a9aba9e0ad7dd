/// VolFS: a rootfs directory plus the metadata sidecar that keeps the
/// guest's owners, modes, setuid bits and device nodes (milestone M5).
/// Nothing is implemented yet; this module exists so the layout is fixed.
public enum VolFS {
    public static let implemented = false
}
