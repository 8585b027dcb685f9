using System.Text.Json;
using System.Text.Json.Serialization;
using AdaptiveWidth.Samples.ScoringService;

// Usage: dotnet ScoringService.dll --model PATH [--urls http://127.0.0.1:PORT] [--pool N]
// (or the configuration keys Model / Urls, e.g. environment variables).
var builder = WebApplication.CreateBuilder(args);
string? modelPath = builder.Configuration["model"];
if (string.IsNullOrWhiteSpace(modelPath))
{
    Console.Error.WriteLine("usage: ScoringService --model PATH [--urls http://127.0.0.1:PORT] [--pool N]");
    return 2;
}

// Loopback only: this sample has no authentication.
string urls = builder.Configuration["urls"] is { Length: > 0 } configured ? configured : "http://127.0.0.1:5000";
foreach (string url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
{
    if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || !(uri.IsLoopback && uri.Host != "+" && uri.Host != "*"))
    {
        Console.Error.WriteLine($"refusing to bind to '{url}': only loopback addresses (127.0.0.1, [::1], localhost) are allowed.");
        return 2;
    }
}
builder.WebHost.UseUrls(urls);
builder.WebHost.ConfigureKestrel(options => options.Limits.MaxRequestBodySize = 1 << 20);
// Per-request logging would cost more than scoring; keep the service's own messages.
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Logging.AddFilter("ScoringService", LogLevel.Information);
builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);

int pool = builder.Configuration.GetValue("pool", Environment.ProcessorCount * 4);
ILogger logger = LoggerFactory.Create(l => l.AddSimpleConsole().SetMinimumLevel(LogLevel.Information)).CreateLogger("ScoringService");
ModelStore store;
try
{
    store = new ModelStore(modelPath, logger, pool);
}
catch (Exception ex)
{
    Console.Error.WriteLine($"cannot load the model '{modelPath}': {ex.Message}");
    return 1;
}
logger.LogInformation("Model v{Version} loaded from {Path}; {Count} features", store.Current.Version, store.ModelPath, store.Current.FeatureCount);

var app = builder.Build();
app.Lifetime.ApplicationStopped.Register(store.Dispose);

// Floats are written in the shortest form that round-trips, so a client parses back the exact Single scored here.
var json = new JsonSerializerOptions(JsonSerializerDefaults.Web) { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

app.MapGet("/health", () => Results.Json(new HealthResponse("ok", store.Current.Version, store.ModelPath, store.Current.FeatureCount,
    store.Current.LoadedAt, AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "TorchSharp")), json));

app.MapPost("/reload", async () =>
{
    try
    {
        ServedModel model = await store.ReloadAsync("POST /reload");
        return Results.Json(new ReloadResponse(model.Version, model.Path, model.FeatureCount), json);
    }
    catch (Exception ex)
    {
        // The old model is still served; the file is the problem, not the request.
        return Results.Json(new ErrorResponse($"reload failed, still serving v{store.Current.Version}: {ex.Message}"), json, statusCode: StatusCodes.Status422UnprocessableEntity);
    }
});

app.MapPost("/predict", async (HttpContext context) =>
{
    PredictRequest? request;
    try
    {
        request = await JsonSerializer.DeserializeAsync<PredictRequest>(context.Request.Body, json, context.RequestAborted);
    }
    catch (JsonException ex)
    {
        return BadRequest($"malformed JSON: {ex.Message}");
    }
    if (request?.Features is not { } features)
    {
        return BadRequest("missing 'features': send {\"features\":[...]}");
    }
    for (int i = 0; i < features.Length; i++)
    {
        if (!float.IsFinite(features[i]))
        {
            return BadRequest($"features[{i}] is not a finite Single");
        }
    }
    while (true)
    {
        // Take the model once: the count is checked against the model that scores, even if a reload swaps it meanwhile.
        ServedModel model = store.Current;
        if (features.Length != model.FeatureCount)
        {
            return BadRequest($"expected {model.FeatureCount} features, got {features.Length}");
        }
        try
        {
            ModelOutput output = model.Predict(features);
            return Results.Json(new PredictResponse(output.Score, output.Probability, output.PredictedLabel), json);
        }
        catch (ObjectDisposedException) when (!ReferenceEquals(model, store.Current))
        {
            // Swapped between reading the reference and taking an engine: score with the new model.
        }
    }
});

await app.RunAsync();
return 0;

IResult BadRequest(string message) => Results.Json(new ErrorResponse(message), json, statusCode: StatusCodes.Status400BadRequest);

internal sealed record PredictRequest(float[]? Features);
internal sealed record PredictResponse(float Score, float Probability, bool PredictedLabel);
internal sealed record ErrorResponse(string Error);
internal sealed record ReloadResponse(int Version, string Path, int FeatureCount);
internal sealed record HealthResponse(string Status, int Version, string Path, int FeatureCount, DateTimeOffset LoadedAt, bool TorchSharpLoaded);
