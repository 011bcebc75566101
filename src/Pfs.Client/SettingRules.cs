using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace Pfs.Client;

// The rules PfsClientOptions declares beside its settings. (DataAnnotations' RangeAttribute would
// do for the numbers, but the options validator generator replaces it with a copy that ignores
// ErrorMessage, and these messages name the value that was given.)

/// <summary>A whole-number setting with a lower bound.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class AtLeastAttribute(long minimum) : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext) =>
        Convert.ToInt64(value, CultureInfo.InvariantCulture) >= minimum
            ? ValidationResult.Success
            : Failure(validationContext, $"must be at least {minimum}, not {value}");

    // Reported as "Member: problem", as DataAnnotations' own rules are.
    internal static ValidationResult Failure(ValidationContext context, string problem) =>
        new(problem, context.MemberName is { } member ? [member] : null);
}

/// <summary>A duration that must be longer than zero.</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class PositiveAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext) =>
        value is TimeSpan duration && duration > TimeSpan.Zero
            ? ValidationResult.Success
            : AtLeastAttribute.Failure(validationContext, $"must be positive, not {value}");
}

/// <summary>An absolute <c>http://</c> or <c>https://</c> address (null passes: <see cref="RequiredAttribute"/> says so).</summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class HttpAddressAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext) =>
        value is null or Uri { IsAbsoluteUri: true, Scheme: "http" or "https" }
            ? ValidationResult.Success
            : AtLeastAttribute.Failure(validationContext, $"must be an absolute http:// or https:// address, not '{value}'");
}
