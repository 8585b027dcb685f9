using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML.AdaptiveWidth.Training;

namespace Microsoft.ML.AdaptiveWidth.Benchmarks;

/// <summary>What one run of the bundled PyTorch script reported.</summary>
internal sealed record PyTorchRun(string Version, IReadOnlyList<string> Blas, int Threads, IReadOnlyList<double> EpochMilliseconds,
    IReadOnlyList<double> EpochCpuMilliseconds, double FinalLoss);

/// <summary>
/// Runs the bundled <c>pytorch_mlp.py</c> (copied next to the program) under a Python that can import torch: the same
/// fixed-width MLP on the same rows, for the training-speed study. Debian's python3-torch imports only under
/// /usr/bin/python3, so that is the default interpreter, not whatever python3 is first on the PATH.
/// </summary>
internal sealed class PyTorchReference
{
    public const string DefaultPython = "/usr/bin/python3";

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private PyTorchReference(string python, string script)
    {
        Python = python;
        Script = script;
    }

    public string Python { get; }

    public string Script { get; }

    /// <summary>The runner, or null with the reason when the interpreter, the script or torch is missing.</summary>
    public static (PyTorchReference? Reference, string Reason) Find(string python)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "pytorch_mlp.py");
        if (!File.Exists(script))
        {
            return (null, $"the bundled script {script} is missing (a build problem)");
        }
        if (!File.Exists(python))
        {
            return (null, $"{python} does not exist");
        }
        (int exit, string _, string error) = Execute(python, ["-c", "import torch, numpy"], TimeSpan.FromMinutes(2));
        if (exit != 0)
        {
            string last = error.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? $"exit code {exit}";
            return (null, $"`{python} -c \"import torch, numpy\"` failed ({last.Trim()}); on Debian: `apt-get install python3-torch libopenblas0-pthread`");
        }
        return (new PyTorchReference(python, script), "");
    }

    /// <summary>Writes the rows in the script's format: float32 features row-major, then int64 labels.</summary>
    public static void WriteRows(TrainingData data, string path)
    {
        using var stream = File.Create(path);
        using var writer = new BinaryWriter(stream);
        foreach (float v in data.Features)
        {
            writer.Write(v);
        }
        foreach (float label in data.Labels)
        {
            writer.Write((long)label);
        }
    }

    /// <summary>Trains the MLP in a child process with one thread everywhere (libtorch, OpenMP, OpenBLAS).</summary>
    /// <exception cref="InvalidOperationException">The script failed or printed no result.</exception>
    public PyTorchRun Train(string dataPath, TrainingData data, int[] hidden, int classes, int batch, int epochs, double learningRate,
        double weightDecay, int threads, int seed)
    {
        string[] arguments =
        [
            Script, "--data", dataPath, "--rows", data.RowCount.ToString(Inv), "--features", data.FeatureCount.ToString(Inv),
            "--hidden", string.Join(",", hidden), "--classes", classes.ToString(Inv), "--batch", batch.ToString(Inv),
            "--epochs", epochs.ToString(Inv), "--lr", learningRate.ToString("R", Inv), "--weight-decay", weightDecay.ToString("R", Inv),
            "--threads", threads.ToString(Inv), "--seed", seed.ToString(Inv),
        ];
        (int exit, string output, string error) = Execute(Python, arguments, TimeSpan.FromMinutes(30), threads);
        string? json = output.Split('\n').LastOrDefault(l => l.TrimStart().StartsWith('{'));
        if (exit != 0 || json is null)
        {
            throw new InvalidOperationException($"The PyTorch script failed (exit code {exit}):\n{error}\n{output}");
        }
        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement root = document.RootElement;
        return new PyTorchRun(
            root.GetProperty("torch").GetString() ?? "?",
            root.GetProperty("blas").EnumerateArray().Select(e => e.GetString() ?? "").ToArray(),
            root.GetProperty("threads").GetInt32(),
            root.GetProperty("epoch_ms").EnumerateArray().Select(e => e.GetDouble()).ToArray(),
            root.GetProperty("epoch_cpu_ms").EnumerateArray().Select(e => e.GetDouble()).ToArray(),
            root.GetProperty("final_loss").GetDouble());
    }

    private static (int Exit, string Output, string Error) Execute(string file, IEnumerable<string> arguments, TimeSpan timeout, int threads = 1)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (string variable in new[] { "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS" })
        {
            start.Environment[variable] = threads.ToString(Inv);
        }
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            return (-1, output.Result, $"timed out after {timeout}\n{error.Result}");
        }
        process.WaitForExit();
        return (process.ExitCode, output.Result, error.Result);
    }
}
