using Microsoft.Extensions.ObjectPool;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace AdaptiveWidth.Samples.ScoringService;

/// <summary>The scoring input: the model's <c>Features</c> column (its size is set from the model's input schema).</summary>
public sealed class ModelInput
{
    public float[] Features { get; set; } = [];
}

/// <summary>The binary classifier's output columns.</summary>
public sealed class ModelOutput
{
    public float Score { get; set; }
    public float Probability { get; set; }
    public bool PredictedLabel { get; set; }
}

/// <summary>
/// One loaded model file and its pool of <see cref="PredictionEngine{TSrc,TDst}"/>s (an engine is not thread-safe; the
/// loaded transformer is shared by all of them). Immutable once built; a reload builds a new one and swaps the reference.
/// </summary>
public sealed class ServedModel : IDisposable
{
    private readonly ObjectPool<PredictionEngine<ModelInput, ModelOutput>> _pool;

    private ServedModel(string path, int version, int featureCount, ObjectPool<PredictionEngine<ModelInput, ModelOutput>> pool)
    {
        Path = path;
        Version = version;
        FeatureCount = featureCount;
        _pool = pool;
        LoadedAt = DateTimeOffset.UtcNow;
    }

    public string Path { get; }
    public int Version { get; }
    public int FeatureCount { get; }
    public DateTimeOffset LoadedAt { get; }

    /// <summary>Loads <paramref name="path"/> and checks it is a binary classifier over a known-size Single vector <c>Features</c>.</summary>
    public static ServedModel Load(MLContext mlContext, string path, int version, int maximumRetained)
    {
        ITransformer model;
        DataViewSchema inputSchema;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            model = mlContext.Model.Load(stream, out inputSchema);
        }
        DataViewSchema.Column features = inputSchema.GetColumnOrNull("Features")
            ?? throw new InvalidDataException($"{path}: the model's input schema has no 'Features' column.");
        if (features.Type is not VectorDataViewType { ItemType: NumberDataViewType itemType, IsKnownSize: true } vectorType
            || itemType != NumberDataViewType.Single)
        {
            throw new InvalidDataException($"{path}: the model's 'Features' column is {features.Type}; a known-size vector of Single is required.");
        }
        int featureCount = vectorType.Size;
        DataViewSchema output = model.GetOutputSchema(inputSchema);
        foreach (string column in new[] { "Score", "Probability", "PredictedLabel" })
        {
            if (output.GetColumnOrNull(column) is null)
            {
                throw new InvalidDataException($"{path}: the model has no '{column}' output column; a binary classifier is required.");
            }
        }

        SchemaDefinition definition = SchemaDefinition.Create(typeof(ModelInput));
        definition[nameof(ModelInput.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, featureCount);
        var policy = new EnginePolicy(() => mlContext.Model.CreatePredictionEngine<ModelInput, ModelOutput>(model, ignoreMissingColumns: true, inputSchemaDefinition: definition));
        // The provider returns a disposable pool for disposable objects: once the pool is disposed, engines returned to
        // it are disposed, and Get throws ObjectDisposedException (the caller then takes the current model).
        ObjectPool<PredictionEngine<ModelInput, ModelOutput>> pool = new DefaultObjectPoolProvider { MaximumRetained = maximumRetained }.Create(policy);
        // Build one engine now, so a file that loads but cannot score fails here, not on the first request.
        pool.Return(pool.Get());
        return new ServedModel(path, version, featureCount, pool);
    }

    /// <summary>Scores one row. Throws <see cref="ObjectDisposedException"/> if this model was retired meanwhile.</summary>
    public ModelOutput Predict(float[] features)
    {
        PredictionEngine<ModelInput, ModelOutput> engine = _pool.Get();
        try
        {
            return engine.Predict(new ModelInput { Features = features });
        }
        finally
        {
            _pool.Return(engine);
        }
    }

    /// <summary>Retires the model: idle engines are disposed now, engines still in use when they are returned.</summary>
    public void Dispose() => (_pool as IDisposable)?.Dispose();

    private sealed class EnginePolicy(Func<PredictionEngine<ModelInput, ModelOutput>> create) : IPooledObjectPolicy<PredictionEngine<ModelInput, ModelOutput>>
    {
        public PredictionEngine<ModelInput, ModelOutput> Create() => create();
        public bool Return(PredictionEngine<ModelInput, ModelOutput> obj) => true;
    }
}
