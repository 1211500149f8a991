// One line of `tallow doctor`: what was checked, how it went, what was found and, when something
// is wrong, what to do about it in words. Skip means "does not apply here, or cannot be checked
// honestly" and never counts as a failure.
namespace Tallow.Cli.Doctor;

internal enum CheckStatus
{
    Ok,
    Warn,
    Fail,
    Skip,
}

internal sealed record DoctorCheck(string Name, CheckStatus Status, string Detail, string? Fix = null)
{
    public static DoctorCheck Ok(string name, string detail) => new(name, CheckStatus.Ok, detail);

    public static DoctorCheck Warn(string name, string detail, string fix) => new(name, CheckStatus.Warn, detail, fix);

    public static DoctorCheck Fail(string name, string detail, string fix) => new(name, CheckStatus.Fail, detail, fix);

    public static DoctorCheck Skip(string name, string detail) => new(name, CheckStatus.Skip, detail);

    /// <summary>Milliseconds with a sensible precision: "0.31 ms", "12.4 ms", "230 ms".</summary>
    public static string Ms(TimeSpan t) => t.TotalMilliseconds switch
    {
        < 1 => $"{t.TotalMilliseconds:0.00} ms",
        < 100 => $"{t.TotalMilliseconds:0.0} ms",
        _ => $"{t.TotalMilliseconds:0} ms",
    };
}
