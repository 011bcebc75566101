namespace Pfs.Benchmarks.Report;

/// <summary>
/// Whether a figure meets its target; <see cref="Info"/> has none, and <see cref="NotMeasured"/>
/// is a target whose figure could not be measured (never a pass).
/// </summary>
internal enum Verdict
{
    Info,
    Pass,
    Miss,
    NotMeasured,
}

/// <summary>One row of the result table.</summary>
/// <param name="Name">What was measured.</param>
/// <param name="Value">The figure, formatted with its unit.</param>
/// <param name="Ratio">Relative to the ceiling, or the other figure it is compared with.</param>
/// <param name="Target">The target it is held to, if any.</param>
/// <param name="Verdict">PASS, MISS, not measured or nothing.</param>
internal sealed record Figure(string Name, string Value, string Ratio = "", string Target = "", Verdict Verdict = Verdict.Info)
{
    /// <summary>What the table prints for a value, and a verdict, that was not measured.</summary>
    public const string NotMeasured = "not measured";
}
