using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

// Usage: dotnet Microsoft.ML.AdaptiveWidth.LoadTest.dll [--quick] [--write] [--requests N] [--concurrency N]
// Exit code 0 when every check passed (0 failed, 0 mismatched, 0 lost, malformed requests answered 400).
bool quick = args.Contains("--quick");
bool write = args.Contains("--write");
int requests = IntOption("--requests", quick ? 2_000 : 20_000);
int concurrency = IntOption("--concurrency", 16);
const int FeatureCount = 8;
const int DistinctRows = 2_000;
var overall = new CancellationTokenSource(TimeSpan.FromMinutes(quick ? 3 : 15));
string command = "dotnet Microsoft.ML.AdaptiveWidth.LoadTest.dll " + string.Join(' ', args);

string servicePath = Metadata("ScoringServicePath");
string work = Directory.CreateTempSubdirectory("aw-loadtest-").FullName;
var problems = new List<string>();
string[] bodies = [];
try
{
    // 1. Data and models: the same generated data for all three; the second AdaptiveWidth model differs by its seed.
    var mlContext = new MLContext(seed: 1);
    Row[] training = Generate(quick ? 1_000 : 4_000, seed: 1);
    IDataView data = mlContext.Data.LoadFromEnumerable(training, RowSchema());
    int epochs = quick ? 5 : 30;
    var trainWatch = Stopwatch.StartNew();
    string aw1 = Train(mlContext, data, mlContext.BinaryClassification.Trainers.AdaptiveWidth(new AdaptiveWidthBinaryTrainer.Options { MaxEpoch = epochs, Seed = 1 }), "aw1.zip");
    string aw2 = Train(mlContext, data, mlContext.BinaryClassification.Trainers.AdaptiveWidth(new AdaptiveWidthBinaryTrainer.Options { MaxEpoch = epochs, Seed = 2 }), "aw2.zip");
    string lgbm = Train(mlContext, data, mlContext.BinaryClassification.Trainers.LightGbm(numberOfIterations: quick ? 20 : 100), "lightgbm.zip");
    Console.WriteLine($"Trained 3 models on {training.Length} rows × {FeatureCount} features in {trainWatch.Elapsed.TotalSeconds:F1} s");

    // 2. The request rows (fresh rows, not the training ones), their JSON bodies in round-trip format, and offline scores.
    Row[] rows = Generate(DistinctRows, seed: 2);
    bodies = rows.Select(r => "{\"features\":[" + string.Join(',', r.Features.Select(f => f.ToString("R", CultureInfo.InvariantCulture))) + "]}").ToArray();
    Expected[] expectedAw1 = ScoreOffline(aw1, rows), expectedAw2 = ScoreOffline(aw2, rows), expectedLgbm = ScoreOffline(lgbm, rows);
    int differ = Enumerable.Range(0, rows.Length).Count(i => expectedAw1[i] != expectedAw2[i]);
    if (differ < rows.Length / 2)
    {
        problems.Add($"the two AdaptiveWidth models score only {differ} of {rows.Length} rows differently; the swap check would be weak");
    }

    // 3. The runs: LightGBM, then AdaptiveWidth with a swap to the second model mid-run; each on its own service process.
    var results = new List<RunResult>
    {
        await RunAsync("LightGbm", lgbm, expectedLgbm, null),
        await RunAsync("AdaptiveWidth", aw1, expectedAw1, (aw2, expectedAw2)),
    };

    // 4. Report.
    var table = new StringBuilder();
    table.AppendLine("| Model | Requests | Concurrency | Throughput (req/s) | p50 (ms) | p99 (ms) | Failed | Not equal to offline scoring | Hot swap |");
    table.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---|");
    foreach (RunResult r in results)
    {
        table.AppendLine(CultureInfo.InvariantCulture, $"| {r.Name} | {r.Requests:N0} | {concurrency} | {r.Throughput:N0} | {r.P50:F3} | {r.P99:F3} | {r.Failed} | {r.Mismatched} | {r.Swap} |");
    }
    Console.WriteLine();
    Console.Write(table);
    Console.WriteLine();
    foreach (RunResult r in results)
    {
        problems.AddRange(r.Problems);
    }
    int failed = results.Sum(r => r.Failed), mismatched = results.Sum(r => r.Mismatched);
    Console.WriteLine($"Total: {results.Sum(r => r.Requests):N0} requests, {failed} failed, {mismatched} not equal to offline scoring, {results.Sum(r => r.Malformed400)} of {results.Sum(r => r.MalformedSent)} malformed requests answered 400");
    foreach (string problem in problems)
    {
        Console.WriteLine($"PROBLEM: {problem}");
    }
    if (write)
    {
        WriteDoc(table.ToString(), results, training.Length, epochs);
    }
    return problems.Count == 0 && failed == 0 && mismatched == 0 ? 0 : 1;
}
finally
{
    Directory.Delete(work, recursive: true);
}

async Task<RunResult> RunAsync(string name, string modelFile, Expected[] expected, (string File, Expected[] Expected)? swapTo)
{
    var result = new RunResult(name, requests);
    string served = Path.Combine(work, $"served-{name}.zip");
    File.Copy(modelFile, served, overwrite: true);
    int port = FreePort();
    var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    foreach (string a in new[] { servicePath, "--model", served, "--urls", $"http://127.0.0.1:{port}" })
    {
        start.ArgumentList.Add(a);
    }
    using var service = Process.Start(start)!;
    var log = new StringBuilder();
    service.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
    service.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
    service.BeginOutputReadLine();
    service.BeginErrorReadLine();
    using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, UseProxy = false })
    {
        BaseAddress = new Uri($"http://127.0.0.1:{port}"),
        Timeout = TimeSpan.FromSeconds(30),
    };
    try
    {
        JsonElement health = await WaitHealthyAsync(client, service, log);
        if (health.GetProperty("torchSharpLoaded").GetBoolean())
        {
            result.Problems.Add($"{name}: the service loaded TorchSharp");
        }

        // Malformed requests: each must get 400 with a message.
        string[] malformed =
        [
            "{\"features\":[1,2", "", "not json", "{}", "{\"features\":null}", "{\"features\":[\"a\"]}", "[1,2,3]",
            "{\"features\":[1,2,3]}", "{\"features\":[" + string.Join(',', Enumerable.Repeat("0.5", FeatureCount + 1)) + "]}", "{\"features\":[1e39,0,0,0,0,0,0,0]}",
        ];
        foreach (string body in malformed)
        {
            result.MalformedSent++;
            using HttpResponseMessage response = await client.PostAsync("/predict", new StringContent(body, Encoding.UTF8, "application/json"), overall.Token);
            string text = await response.Content.ReadAsStringAsync(overall.Token);
            if (response.StatusCode == HttpStatusCode.BadRequest && text.Contains("\"error\""))
            {
                result.Malformed400++;
            }
            else
            {
                result.Problems.Add($"{name}: malformed body '{body}' got {(int)response.StatusCode} {text}");
            }
        }

        // Warm-up (not measured, checked all the same).
        await DriveAsync(client, Math.Min(requests / 5, 1_000), (i, _, text) => Parse(text) == expected[i % DistinctRows], new List<double>(), null, result);

        // Measured run.
        var latencies = new List<double>(requests);
        long swapDone = long.MaxValue;
        int oldSeen = 0, newSeen = 0;
        Func<int, long, string, bool> check = (i, sentAt, text) =>
        {
            if (swapTo is not { } s)
            {
                return Parse(text) == expected[i % DistinctRows];
            }
            Expected got = Parse(text);
            bool isOld = got == expected[i % DistinctRows], isNew = got == s.Expected[i % DistinctRows];
            if (isOld && !isNew) Interlocked.Increment(ref oldSeen);
            if (isNew && !isOld) Interlocked.Increment(ref newSeen);
            return sentAt > Interlocked.Read(ref swapDone) ? isNew : isOld || isNew;
        };
        Task? swap = null;
        var wall = Stopwatch.StartNew();
        await DriveAsync(client, requests, check, latencies, completed =>
        {
            if (swapTo is { } s && completed == requests * 2 / 5 && swap is null)
            {
                swap = Task.Run(async () =>
                {
                    // Replace the file atomically (a rename), as a deployment would, then ask for the reload.
                    string temporary = served + ".tmp";
                    File.Copy(s.File, temporary, overwrite: true);
                    File.Move(temporary, served, overwrite: true);
                    using HttpResponseMessage response = await client.PostAsync("/reload", null, overall.Token);
                    string text = await response.Content.ReadAsStringAsync(overall.Token);
                    Interlocked.Exchange(ref swapDone, Stopwatch.GetTimestamp());
                    if (!response.IsSuccessStatusCode)
                    {
                        lock (result.Problems) result.Problems.Add($"{name}: /reload got {(int)response.StatusCode} {text}");
                    }
                });
            }
        }, result);
        wall.Stop();
        if (swap is not null)
        {
            await swap;
        }
        result.Throughput = requests / wall.Elapsed.TotalSeconds;
        latencies.Sort();
        result.P50 = Percentile(latencies, 0.50);
        result.P99 = Percentile(latencies, 0.99);
        if (swapTo is not null)
        {
            result.Swap = $"v1→v2 at request {requests * 2 / 5:N0}: {oldSeen:N0} answers by the old model, {newSeen:N0} by the new";
            if (oldSeen == 0 || newSeen == 0 || swapDone == long.MaxValue)
            {
                result.Problems.Add($"{name}: the swap did not happen mid-run ({result.Swap})");
            }
            JsonElement after = await WaitHealthyAsync(client, service, log);
            if (after.GetProperty("version").GetInt32() < 2)
            {
                result.Problems.Add($"{name}: /health reports version {after.GetProperty("version").GetInt32()} after the swap");
            }
        }
        else
        {
            result.Swap = "—";
        }
        Console.WriteLine($"{name}: {requests:N0} requests, {result.Failed} failed, {result.Mismatched} not equal to offline scoring, {result.Throughput:N0} req/s, p50 {result.P50:F3} ms, p99 {result.P99:F3} ms");
        return result;
    }
    catch (Exception ex)
    {
        result.Problems.Add($"{name}: {ex.GetType().Name}: {ex.Message}\n{log}");
        result.Failed = Math.Max(result.Failed, 1);
        return result;
    }
    finally
    {
        if (!service.HasExited)
        {
            service.Kill(entireProcessTree: true);
            await service.WaitForExitAsync(CancellationToken.None);
        }
    }
}

// Sends `count` requests with `concurrency` workers; request i uses row i mod DistinctRows. A transport error or a status
// other than 200 counts as failed; a 200 whose body does not pass `check` counts as not equal to offline scoring.
async Task DriveAsync(HttpClient client, int count, Func<int, long, string, bool> check, List<double> latencies,
    Action<int>? onCompleted, RunResult result)
{
    int next = -1, completed = 0;
    var perWorker = new List<double>[concurrency];
    Task[] workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
    {
        var mine = perWorker[w] = new List<double>();
        int i;
        while ((i = Interlocked.Increment(ref next)) < count)
        {
            long sentAt = Stopwatch.GetTimestamp();
            try
            {
                using var content = new StringContent(bodies[i % DistinctRows], Encoding.UTF8, "application/json");
                using HttpResponseMessage response = await client.PostAsync("/predict", content, overall.Token);
                string text = await response.Content.ReadAsStringAsync(overall.Token);
                mine.Add(Stopwatch.GetElapsedTime(sentAt).TotalMilliseconds);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Interlocked.Increment(ref result.FailedCount);
                    lock (result.Problems) result.Problems.Add($"{result.Name}: request {i} got {(int)response.StatusCode} {text}");
                }
                else if (!check(i, sentAt, text))
                {
                    Interlocked.Increment(ref result.MismatchedCount);
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
            {
                Interlocked.Increment(ref result.FailedCount);
                lock (result.Problems) result.Problems.Add($"{result.Name}: request {i}: {ex.GetType().Name}: {ex.Message}");
            }
            onCompleted?.Invoke(Interlocked.Increment(ref completed));
        }
    })).ToArray();
    await Task.WhenAll(workers);
    foreach (List<double> list in perWorker)
    {
        latencies.AddRange(list);
    }
}

static Expected Parse(string text)
{
    using JsonDocument document = JsonDocument.Parse(text);
    JsonElement root = document.RootElement;
    return new Expected(root.GetProperty("score").GetSingle(), root.GetProperty("probability").GetSingle(), root.GetProperty("predictedLabel").GetBoolean());
}

async Task<JsonElement> WaitHealthyAsync(HttpClient client, Process service, StringBuilder log)
{
    var deadline = Stopwatch.StartNew();
    while (deadline.Elapsed < TimeSpan.FromSeconds(60))
    {
        if (service.HasExited)
        {
            throw new InvalidOperationException($"the service exited with code {service.ExitCode}");
        }
        try
        {
            string text = await client.GetStringAsync("/health", overall.Token);
            return JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (HttpRequestException)
        {
            await Task.Delay(100, overall.Token);
        }
    }
    throw new TimeoutException("the service did not answer /health within 60 s");
}

string Train(MLContext ml, IDataView trainData, IEstimator<ITransformer> trainer, string fileName)
{
    ITransformer model = ml.Transforms.NormalizeMinMax("Features").Append(trainer).Fit(trainData);
    string path = Path.Combine(work, fileName);
    ml.Model.Save(model, trainData.Schema, path);
    return path;
}

// Offline scoring: the saved file, loaded and scored with a PredictionEngine, as the service does.
Expected[] ScoreOffline(string path, Row[] scoreRows)
{
    var ml = new MLContext(seed: 0);
    ITransformer model = ml.Model.Load(path, out _);
    using var engine = ml.Model.CreatePredictionEngine<Row, Output>(model, ignoreMissingColumns: true, inputSchemaDefinition: RowSchema());
    return scoreRows.Select(r => { Output o = engine.Predict(r); return new Expected(o.Score, o.Probability, o.PredictedLabel); }).ToArray();
}

// Two interleaved half-moons in the first two features, noise in the others: non-linear, so both models have work.
static Row[] Generate(int count, int seed)
{
    var random = new Random(seed);
    var result = new Row[count];
    for (int i = 0; i < count; i++)
    {
        bool label = random.Next(2) == 1;
        double angle = random.NextDouble() * Math.PI;
        double x = label ? Math.Cos(angle) : 1 - Math.Cos(angle), y = label ? Math.Sin(angle) : 0.5 - Math.Sin(angle);
        var features = new float[FeatureCount];
        features[0] = (float)(x + random.NextDouble() * 0.3);
        features[1] = (float)(y + random.NextDouble() * 0.3);
        for (int j = 2; j < FeatureCount; j++)
        {
            features[j] = (float)(random.NextDouble() * 2 - 1);
        }
        result[i] = new Row { Label = label, Features = features };
    }
    return result;
}

static SchemaDefinition RowSchema()
{
    SchemaDefinition definition = SchemaDefinition.Create(typeof(Row));
    definition[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, FeatureCount);
    return definition;
}

static int FreePort()
{
    var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    int port = ((IPEndPoint)listener.LocalEndpoint).Port;
    listener.Stop();
    return port;
}

static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

int IntOption(string name, int fallback)
{
    int index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
}

static string Metadata(string key) => typeof(Row).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

void WriteDoc(string table, List<RunResult> results, int trainingRows, int epochs)
{
    string cpu = File.Exists("/proc/cpuinfo")
        ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown"
        : "unknown";
    var doc = new StringBuilder();
    doc.AppendLine("# The scoring service under load");
    doc.AppendLine();
    doc.AppendLine("`samples/ScoringService` (ASP.NET Core minimal API) serves a saved ML.NET binary classifier: `POST /predict` with");
    doc.AppendLine("`{\"features\":[...]}` → `{\"score\":..,\"probability\":..,\"predictedLabel\":..}`, scored by pooled `PredictionEngine`s");
    doc.AppendLine("(Microsoft.Extensions.ObjectPool; one engine per concurrent request, the loaded model shared), `GET /health`, and hot");
    doc.AppendLine("reload (a `FileSystemWatcher` on the model file, and `POST /reload`): the new file is loaded into a new model and pool,");
    doc.AppendLine("then the reference is swapped atomically; requests that already took the old model finish on it, the old pool is");
    doc.AppendLine("disposed (its engines as they are returned). Malformed JSON, missing features, a wrong feature count or non-finite");
    doc.AppendLine("features get HTTP 400 with a message. It binds to loopback only and never loads libtorch (`/health` reports it).");
    doc.AppendLine();
    doc.AppendLine("The load test (`test/Microsoft.ML.AdaptiveWidth.LoadTest`) trains two AdaptiveWidth models (seeds 1 and 2) and a");
    doc.AppendLine($"LightGBM model on the same generated data ({trainingRows:N0} rows × {FeatureCount} features, two half-moons plus noise;");
    doc.AppendLine($"`NormalizeMinMax(\"Features\")` → trainer; AdaptiveWidth {epochs} epochs, LightGBM 100 iterations), starts the service as a");
    doc.AppendLine($"child process on a free loopback port for each model, and sends {requests:N0} requests per model from {concurrency} concurrent");
    doc.AppendLine($"workers (after an unmeasured warm-up), cycling over {DistinctRows:N0} fresh rows. Every response is compared with offline");
    doc.AppendLine("scoring of the same row (the same saved file loaded in the test process, a `PredictionEngine`): exact `Single` equality");
    doc.AppendLine("of score and probability after the JSON round trip, and equal label. During the AdaptiveWidth run, after 40% of the");
    doc.AppendLine("requests, the served file is replaced (copy + rename) by the seed-2 model and `POST /reload` is called: each response");
    doc.AppendLine("must equal the old or the new model's offline score, and every request sent after `/reload` returned must equal the");
    doc.AppendLine("new one. Failed = transport error or a status other than 200 (a lost request counts here). Ten malformed requests per run");
    doc.AppendLine("(truncated JSON, empty body, not JSON, `{}`, null/string features, a top-level array, too few/too many features, 1e39)");
    doc.AppendLine("must each get 400.");
    doc.AppendLine();
    doc.AppendLine(CultureInfo.InvariantCulture, $"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
    doc.AppendLine(CultureInfo.InvariantCulture, $"- Machine: {cpu}, {Environment.ProcessorCount} logical cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}");
    doc.AppendLine(CultureInfo.InvariantCulture, $"- Command: `{command}` (Release build; client and service share the machine's cores)");
    doc.AppendLine();
    doc.Append(table);
    doc.AppendLine();
    doc.AppendLine(CultureInfo.InvariantCulture, $"Malformed requests answered 400: {results.Sum(r => r.Malformed400)} of {results.Sum(r => r.MalformedSent)}. Failed requests: {results.Sum(r => r.Failed)}. Responses not equal to offline scoring: {results.Sum(r => r.Mismatched)}.");
    doc.AppendLine();
    doc.AppendLine("Latency is measured by the client (send to response read), over loopback, including JSON on both sides; with the");
    doc.AppendLine("client and the server on the same cores, the throughput is a lower bound for a dedicated server.");
    string path = Path.Combine(Metadata("RepoRoot"), "docs", "scoring-service.md");
    File.WriteAllText(path, doc.ToString());
    Console.WriteLine($"Wrote {path}");
}

internal sealed class Row
{
    public bool Label { get; set; }
    public float[] Features { get; set; } = [];
}

internal sealed class Output
{
    public float Score { get; set; }
    public float Probability { get; set; }
    public bool PredictedLabel { get; set; }
}

internal readonly record struct Expected(float Score, float Probability, bool PredictedLabel);

internal sealed class RunResult(string name, int requests)
{
    public int FailedCount;
    public int MismatchedCount;
    public string Name { get; } = name;
    public int Requests { get; } = requests;
    public double Throughput { get; set; }
    public double P50 { get; set; }
    public double P99 { get; set; }
    public int Failed { get => FailedCount; set => FailedCount = value; }
    public int Mismatched => MismatchedCount;
    public string Swap { get; set; } = "";
    public int MalformedSent { get; set; }
    public int Malformed400 { get; set; }
    public List<string> Problems { get; } = [];
}
