using System.Diagnostics;
using Microsoft.ML;

namespace Microsoft.ML.AdaptiveWidth.ScoringProbe;

/// <summary>
/// The child side of the fuzzer: <c>fuzz-child &lt;original.zip&gt; &lt;list.txt&gt;</c>. Scores fixed rows with the original
/// model, prints <c>READY</c>, then for every "index TAB path" line of the list prints <c>BEGIN index</c> (flushed, so
/// that the parent knows which file was being read when the process died or hung) and one <c>RESULT</c> line:
/// <c>RESULT index allocatedBytes milliseconds status detail</c>, status being OK-identical, OK-different,
/// OK-nonfinite, LOAD-EXC, SCORE-EXC or OOM. Ends with <c>DONE</c>.
/// </summary>
internal static class FuzzChild
{
    public static int Run(string[] args)
    {
        var mlContext = new MLContext(seed: 0);
        ITransformer original = mlContext.Model.Load(args[0], out DataViewSchema schema);
        int featureCount = ProbeScoring.FeatureCount(schema);
        float[][] rows = ProbeScoring.FixedRows(featureCount);
        float[] expected = ProbeScoring.Score(mlContext, original, rows, featureCount);
        Console.Out.WriteLine($"READY {expected.Length}");
        Console.Out.Flush();

        foreach (string line in File.ReadLines(args[1]))
        {
            string[] parts = line.Split('\t');
            string index = parts[0];
            Console.Out.WriteLine($"BEGIN {index}");
            Console.Out.Flush();
            long before = GC.GetAllocatedBytesForCurrentThread();
            var clock = Stopwatch.StartNew();
            string status;
            string detail = "";
            ITransformer? model = null;
            try
            {
                model = mlContext.Model.Load(parts[1], out _);
                float[] actual = ProbeScoring.Score(mlContext, model, rows, featureCount);
                bool identical = actual.Length == expected.Length
                    && actual.Zip(expected).All(p => BitConverter.SingleToInt32Bits(p.First) == BitConverter.SingleToInt32Bits(p.Second));
                status = identical ? "OK-identical" : actual.All(float.IsFinite) ? "OK-different" : "OK-nonfinite";
            }
            catch (Exception e) when (Chain(e).Any(x => x is OutOfMemoryException))
            {
                status = "OOM";
            }
            catch (Exception e)
            {
                status = model is null ? "LOAD-EXC" : "SCORE-EXC";
                Exception[] chain = Chain(e).ToArray();
                Exception telling = chain.FirstOrDefault(x => x is InvalidDataException) ?? chain[^1];
                detail = $"{telling.GetType().Name}\t{string.Join(">", chain.Select(x => x.GetType().Name))}\t{OneLine(telling.Message)}";
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Console.Out.WriteLine($"RESULT\t{index}\t{allocated}\t{clock.ElapsedMilliseconds}\t{status}\t{detail}");
            Console.Out.Flush();
        }
        Console.Out.WriteLine("DONE");
        Console.Out.Flush();
        return 0;
    }

    private static IEnumerable<Exception> Chain(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            yield return x;
        }
    }

    private static string OneLine(string message)
    {
        string s = message.ReplaceLineEndings(" ").Replace('\t', ' ');
        return s.Length <= 240 ? s : s[..240];
    }
}
