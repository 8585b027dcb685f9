using Microsoft.ML.Data;

namespace Microsoft.ML;

/// <summary>Saving a model so that a reader never sees a half-written file.</summary>
public static class AtomicModelSave
{
    /// <summary>
    /// Saves <paramref name="model"/> like <see cref="ModelOperationsCatalog.Save(ITransformer, DataViewSchema, string)"/>,
    /// but so that <paramref name="filePath"/> is either the complete new model or whatever it was before (absent or the
    /// previous model), even if the process dies or the disk fills up mid-save: the zip is written to a temporary file in
    /// the same folder, flushed to disk, then renamed over <paramref name="filePath"/> (an atomic replace on one file system).
    /// </summary>
    /// <remarks>
    /// ML.NET's own <c>Save(model, schema, path)</c> truncates the file and writes it in place, so a process killed
    /// mid-save leaves a truncated zip that no longer loads. A process killed here can leave a stale temporary file
    /// named <c>.&lt;file name&gt;.&lt;random&gt;.tmp</c> next to the target; it is never read and may be deleted.
    /// </remarks>
    /// <param name="catalog">The model operations catalog (<c>mlContext.Model</c>).</param>
    /// <param name="model">The trained model.</param>
    /// <param name="inputSchema">The schema of the model's input, as for <c>Save</c>.</param>
    /// <param name="filePath">The model file to create or replace.</param>
    public static void SaveAtomically(this ModelOperationsCatalog catalog, ITransformer model, DataViewSchema inputSchema, string filePath)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(filePath);
        string target = Path.GetFullPath(filePath);
        string folder = Path.GetDirectoryName(target) ?? throw new ArgumentException($"'{filePath}' has no folder.", nameof(filePath));
        string temporary = Path.Combine(folder, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None))
            {
                catalog.Save(model, inputSchema, stream);
                if (stream.CanWrite)
                {
                    stream.Flush(flushToDisk: true);
                }
            }
            File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}
