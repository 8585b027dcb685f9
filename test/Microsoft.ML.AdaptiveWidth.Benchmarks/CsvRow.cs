namespace Microsoft.ML.AdaptiveWidth.Benchmarks;

/// <summary>
/// The typed input of a CSV data set of the real-data suite, as a Model Builder user's ModelInput class has one member per
/// column: numeric columns map to the F fields, text columns to the S fields, the label to one of the label fields
/// (the study's <c>SchemaDefinition</c> names each used field after its column and drops the rest).
/// </summary>
public sealed class CsvRow
{
    /// <summary>The most numeric columns a suite CSV may have (the held-out DNA set has 180).</summary>
    public const int MaxNumeric = 192;

    /// <summary>The most text columns a suite CSV may have.</summary>
    public const int MaxText = 48;

#pragma warning disable SA1401, CA1051, SA1132 // ML.NET maps public fields to columns; one declaration per kind keeps the list short.
    public float F0, F1, F2, F3, F4, F5, F6, F7, F8, F9, F10, F11, F12, F13, F14, F15, F16, F17, F18, F19, F20, F21, F22, F23, F24, F25, F26, F27, F28, F29, F30, F31, F32, F33, F34, F35, F36, F37, F38, F39, F40, F41, F42, F43, F44, F45, F46, F47, F48, F49, F50, F51, F52, F53, F54, F55, F56, F57, F58, F59, F60, F61, F62, F63, F64, F65, F66, F67, F68, F69, F70, F71, F72, F73, F74, F75, F76, F77, F78, F79, F80, F81, F82, F83, F84, F85, F86, F87, F88, F89, F90, F91, F92, F93, F94, F95, F96, F97, F98, F99, F100, F101, F102, F103, F104, F105, F106, F107, F108, F109, F110, F111, F112, F113, F114, F115, F116, F117, F118, F119, F120, F121, F122, F123, F124, F125, F126, F127, F128, F129, F130, F131, F132, F133, F134, F135, F136, F137, F138, F139, F140, F141, F142, F143, F144, F145, F146, F147, F148, F149, F150, F151, F152, F153, F154, F155, F156, F157, F158, F159, F160, F161, F162, F163, F164, F165, F166, F167, F168, F169, F170, F171, F172, F173, F174, F175, F176, F177, F178, F179, F180, F181, F182, F183, F184, F185, F186, F187, F188, F189, F190, F191;

    public string? S0, S1, S2, S3, S4, S5, S6, S7, S8, S9, S10, S11, S12, S13, S14, S15, S16, S17, S18, S19, S20, S21, S22, S23, S24, S25, S26, S27, S28, S29, S30, S31, S32, S33, S34, S35, S36, S37, S38, S39, S40, S41, S42, S43, S44, S45, S46, S47;

    public bool BoolLabel;

    public string? TextLabel;

    public float FloatLabel;
#pragma warning restore SA1401, CA1051, SA1132
}
