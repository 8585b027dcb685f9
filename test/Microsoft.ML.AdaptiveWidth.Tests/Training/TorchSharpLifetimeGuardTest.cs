using Microsoft.ML.AdaptiveWidth.Inference;
using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Microsoft.ML.AdaptiveWidth.Tests.Training;

/// <summary>
/// The automated guard of the rule in Training/TorchScalars.cs (issue 13): no TorchSharp <c>Scalar</c> may be
/// created implicitly for one call, by our code or inside a TorchSharp API we call, because nothing keeps such a
/// temporary alive while libtorch reads it and its finalizer can free it mid-call. Reads the IL of the library and of
/// the TorchSharp assembly it runs with, so a new implicit conversion (e.g. <c>t.mul_(0.5)</c>) or a new call to an API
/// that converts internally (e.g. <c>t.square()</c>, which is <c>pow(2)</c>) fails here with its location.
/// </summary>
[TestClass]
public sealed class TorchSharpLifetimeGuardTest
{
    /// <summary>How deep calls inside TorchSharp are followed (F.leaky_relu → Tensor.leaky_relu(Scalar) is depth 1).</summary>
    private const int Depth = 3;

    [TestMethod]
    public void Library_CreatesNoTemporaryTorchSharpScalar_DirectlyOrInsideTheTorchSharpApisItCalls()
    {
        using AssemblyDefinition library = AssemblyDefinition.ReadAssembly(typeof(AdaptiveWidthModel).Assembly.Location);
        using AssemblyDefinition torchSharp = AssemblyDefinition.ReadAssembly(typeof(TorchSharp.torch).Assembly.Location);
        var verdicts = new Dictionary<string, string?>();
        var violations = new List<string>();
        int torchCalls = 0;

        foreach (MethodDefinition method in library.MainModule.GetTypes().SelectMany(t => t.Methods).Where(m => m.HasBody))
        {
            foreach (Instruction instruction in method.Body.Instructions)
            {
                if (instruction.Operand is not MethodReference callee || !IsTorchSharp(callee))
                {
                    continue;
                }
                torchCalls++;
                string? why = IsImplicitConversion(callee) ? "converts a number implicitly"
                    : CreatesScalar(callee) ? (method.DeclaringType.Name is "ScalarCache" or "ScalarSlot" ? null : "creates a Scalar outside ScalarCache and ScalarSlot")
                    : Inner(callee, torchSharp, verdicts, Depth);
                if (why is not null)
                {
                    violations.Add($"{method.DeclaringType.FullName}::{method.Name} calls {Name(callee)}: {why}");
                }
            }
        }

        Assert.IsGreaterThan(50, torchCalls, "the guard should see the library's TorchSharp calls");
        Assert.AreEqual(0, violations.Count,
            "TorchSharp Scalars created for one call (see Training/TorchScalars.cs):\n" + string.Join("\n", violations.Distinct()));
    }

    [TestMethod]
    public void Guard_FlagsTheKnownUnsafeApis()
    {
        // The guard must be able to fail: TorchSharp's square() is pow(2) with a temporary Scalar, and
        // functional.leaky_relu(input, double) converts its slope, Tensor.ToDouble() reads through a temporary Scalar (a
        // finalizer freeing it mid-read aborted a soak run); Tensor.mul_(Scalar) itself creates none.
        using AssemblyDefinition torchSharp = AssemblyDefinition.ReadAssembly(typeof(TorchSharp.torch).Assembly.Location);
        var verdicts = new Dictionary<string, string?>();
        TypeDefinition tensor = torchSharp.MainModule.GetType("TorchSharp.torch/Tensor");
        MethodDefinition square = tensor.Methods.Single(m => m.Name == "square" && m.Parameters.Count == 0);
        MethodDefinition mulScalar = tensor.Methods.Single(m => m.Name == "mul_" && m.Parameters.Count == 1 && m.Parameters[0].ParameterType.Name == "Scalar");
        MethodDefinition leakyRelu = torchSharp.MainModule.GetTypes().SelectMany(t => t.Methods)
            .Single(m => m.Name == "leaky_relu" && m.IsStatic && m.Parameters.Count == 3);

        MethodDefinition toDouble = torchSharp.MainModule.GetTypes().SelectMany(t => t.Methods)
            .Single(m => m.Name == "ToDouble" && m.IsStatic && m.Parameters.Count == 1 && m.Parameters[0].ParameterType.Name == "Tensor");
        Assert.IsNotNull(Inner(square, torchSharp, verdicts, Depth));
        Assert.IsNotNull(Inner(toDouble, torchSharp, verdicts, Depth), "Tensor.ToDouble() reads through a temporary Scalar");
        Assert.IsNotNull(Inner(leakyRelu, torchSharp, verdicts, Depth));
        Assert.IsNull(Inner(mulScalar, torchSharp, verdicts, Depth));
    }

    /// <summary>TorchSharp methods whose conversion was read in their source and is harmless, with the reason.</summary>
    private static readonly Dictionary<string, string> Reviewed = new()
    {
        ["Tensor.gt(Scalar)"] = "converts only on the null-argument path (returns `false` as a Tensor)",
        ["Tensor.eq(Tensor)"] = "converts only on the null-argument path (returns `false` as a Tensor)",
    };

    private static bool IsTorchSharp(MethodReference method) => method.DeclaringType.Scope.Name is "TorchSharp" or "TorchSharp.dll";

    /// <summary>A number converted implicitly to a TorchSharp Scalar or Tensor.</summary>
    private static bool IsImplicitConversion(MethodReference method)
        => method.Name == "op_Implicit" && method.DeclaringType.FullName is "TorchSharp.Scalar" or "TorchSharp.torch/Tensor";

    /// <summary>Any TorchSharp call that returns a new Scalar (a conversion, <c>ToScalar</c> of a number or a tensor).</summary>
    private static bool CreatesScalar(MethodReference method)
        => IsImplicitConversion(method) || method.ReturnType.FullName == "TorchSharp.Scalar"
            || (method.Name == ".ctor" && method.DeclaringType.FullName == "TorchSharp.Scalar");

    private static string Name(MethodReference method)
        => $"{method.DeclaringType.Name}.{method.Name}({string.Join(", ", method.Parameters.Select(p => p.ParameterType.Name))})";

    /// <summary>Why the body of a TorchSharp method creates a Scalar (following its calls), or null.</summary>
    private static string? Inner(MethodReference reference, AssemblyDefinition torchSharp, Dictionary<string, string?> verdicts, int depth)
    {
        string key = reference.FullName;
        if (verdicts.TryGetValue(key, out string? known))
        {
            return known;
        }
        verdicts[key] = null; // recursion guard
        MethodDefinition? method = reference.Resolve();
        if (method is not null && Reviewed.ContainsKey(Name(method)))
        {
            return null;
        }
        string? verdict = null;
        if (method is { HasBody: true } && depth > 0)
        {
            foreach (Instruction instruction in method.Body.Instructions)
            {
                if (instruction.Operand is not MethodReference callee
                    || (callee.DeclaringType.Scope != torchSharp.MainModule && !IsTorchSharp(callee)))
                {
                    continue;
                }
                if (CreatesScalar(callee))
                {
                    verdict = $"{Name(method)} creates a Scalar inside";
                    break;
                }
                if (Inner(callee, torchSharp, verdicts, depth - 1) is string inner)
                {
                    verdict = $"{Name(method)} → {inner}";
                    break;
                }
            }
        }
        verdicts[key] = verdict;
        return verdict;
    }
}
