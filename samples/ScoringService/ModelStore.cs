using Microsoft.ML;

namespace AdaptiveWidth.Samples.ScoringService;

/// <summary>
/// Holds the current <see cref="ServedModel"/> and replaces it when the file changes (a <see cref="FileSystemWatcher"/>,
/// debounced) or on request (<c>POST /reload</c>). A reload loads the new file into a new model and pool, then swaps the
/// reference atomically: requests that already took the old model finish on it; a load that fails keeps the old model.
/// </summary>
public sealed class ModelStore : IDisposable
{
    private readonly MLContext _mlContext = new(seed: 0);
    private readonly SemaphoreSlim _loadLock = new(1, 1);
    private readonly ILogger _logger;
    private readonly int _maximumRetained;
    private readonly FileSystemWatcher _watcher;
    private readonly Timer _debounce;
    private ServedModel _current;
    private int _version;

    public ModelStore(string path, ILogger logger, int maximumRetained)
    {
        ModelPath = System.IO.Path.GetFullPath(path);
        _logger = logger;
        _maximumRetained = maximumRetained;
        // The loader of each model is named in its zip; registering the assemblies makes sure ML.NET finds them.
        _mlContext.ComponentCatalog.RegisterAssembly(typeof(Microsoft.ML.Trainers.AdaptiveWidth.AdaptiveWidthBinaryTrainer).Assembly);
        _mlContext.ComponentCatalog.RegisterAssembly(typeof(Microsoft.ML.Trainers.LightGbm.LightGbmBinaryModelParameters).Assembly);
        _current = ServedModel.Load(_mlContext, ModelPath, ++_version, _maximumRetained);

        _debounce = new Timer(_ => _ = ReloadFromWatcherAsync(), null, Timeout.Infinite, Timeout.Infinite);
        _watcher = new FileSystemWatcher(System.IO.Path.GetDirectoryName(ModelPath)!, System.IO.Path.GetFileName(ModelPath))
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        _watcher.Changed += OnFileEvent;
        _watcher.Created += OnFileEvent;
        _watcher.Renamed += OnFileEvent;
        _watcher.EnableRaisingEvents = true;
    }

    public string ModelPath { get; }

    /// <summary>The model to score with now (a volatile read: a swap is seen by the next request).</summary>
    public ServedModel Current => Volatile.Read(ref _current);

    /// <summary>Loads the file again and swaps it in; on failure the current model stays and the exception is thrown.</summary>
    public async Task<ServedModel> ReloadAsync(string reason)
    {
        await _loadLock.WaitAsync().ConfigureAwait(false);
        try
        {
            ServedModel loaded = ServedModel.Load(_mlContext, ModelPath, _version + 1, _maximumRetained);
            _version++;
            ServedModel old = Interlocked.Exchange(ref _current, loaded);
            old.Dispose();
            _logger.LogInformation("Model v{Version} loaded from {Path} ({Reason}); {Count} features", loaded.Version, ModelPath, reason, loaded.FeatureCount);
            return loaded;
        }
        finally
        {
            _loadLock.Release();
        }
    }

    // Writers produce several events per file (and a half-written file in between): wait for quiet, then load; a file
    // that does not load (still being written, or bad) keeps the old model, and the next event tries again.
    private void OnFileEvent(object sender, FileSystemEventArgs e) => _debounce.Change(500, Timeout.Infinite);

    private async Task ReloadFromWatcherAsync()
    {
        try
        {
            await ReloadAsync("file changed").ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogWarning("Reload after a file change failed; still serving v{Version}: {Message}", Current.Version, ex.Message);
        }
    }

    public void Dispose()
    {
        _watcher.Dispose();
        _debounce.Dispose();
        Current.Dispose();
        _loadLock.Dispose();
    }
}
