using Microsoft.ML;

namespace Microsoft.ML.AdaptiveWidth.ScoringProbe;

/// <summary>
/// <c>save-loop &lt;model.zip&gt; &lt;out.zip&gt; atomic|plain</c>: loads a model, then saves it to out.zip again and again
/// (with <c>SaveAtomically</c>, or with ML.NET's plain <c>Save</c>), printing <c>saved N</c> after each save, until it is
/// killed. The reliability tests kill it at random moments and check what is left at out.zip.
/// </summary>
internal static class SaveLoop
{
    public static int Run(string[] args)
    {
        var mlContext = new MLContext(seed: 0);
        ITransformer model = mlContext.Model.Load(args[0], out DataViewSchema schema);
        bool atomic = args[2] == "atomic";
        for (long i = 1; ; i++)
        {
            if (atomic)
            {
                mlContext.Model.SaveAtomically(model, schema, args[1]);
            }
            else
            {
                mlContext.Model.Save(model, schema, args[1]);
            }
            Console.Out.WriteLine($"saved {i}");
            Console.Out.Flush();
        }
    }
}
