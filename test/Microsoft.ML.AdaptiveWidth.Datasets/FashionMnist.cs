using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.IO.Compression;

namespace Microsoft.ML.AdaptiveWidth.Datasets;

/// <summary>
/// Fashion-MNIST (MIT): 60,000 training and 10,000 test images of 28x28 grey pixels in 10 clothing classes. It is too
/// large to commit; <c>build/fetch-fashion-mnist.sh</c> caches the four idx <c>.gz</c> files outside git.
/// </summary>
public static class FashionMnist
{
    /// <summary>Side of the square images.</summary>
    public const int ImageSide = 28;

    /// <summary>The environment variable naming the data cache root (the fetch script reads it too).</summary>
    public const string DataRootVariable = "ADAPTIVEWIDTH_DATA";

    private const string TrainImages = "train-images-idx3-ubyte.gz";
    private const string TrainLabels = "train-labels-idx1-ubyte.gz";
    private const string TestImages = "t10k-images-idx3-ubyte.gz";
    private const string TestLabels = "t10k-labels-idx1-ubyte.gz";

    /// <summary>
    /// The folder the fetch script writes to by default: <c>${ADAPTIVEWIDTH_DATA:-$HOME/.cache/adaptive-width}/fashion-mnist</c>.
    /// </summary>
    public static string DefaultCacheDirectory
    {
        get
        {
            string? root = Environment.GetEnvironmentVariable(DataRootVariable);
            if (string.IsNullOrEmpty(root))
            {
                root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "adaptive-width");
            }

            return Path.Combine(root, "fashion-mnist");
        }
    }

    /// <summary>
    /// Loads the training and test sets with pixels scaled to [0, 1] (byte / 255), or returns false when the files are absent.
    /// </summary>
    /// <param name="cacheDir">
    /// The folder holding the four files, or its parent (a folder with a <c>fashion-mnist</c> subfolder);
    /// <see cref="DefaultCacheDirectory"/> when null.
    /// </param>
    /// <param name="train">The 60,000 training images, or null when false is returned.</param>
    /// <param name="test">The 10,000 test images, or null when false is returned.</param>
    /// <returns>True when all four files were found and read.</returns>
    /// <exception cref="InvalidDataException">A file is present but not a valid idx file.</exception>
    public static bool TryLoad(string? cacheDir, [NotNullWhen(true)] out Dataset? train, [NotNullWhen(true)] out Dataset? test)
    {
        train = null;
        test = null;
        string? dir = FindDirectory(cacheDir ?? DefaultCacheDirectory);
        if (dir is null)
        {
            return false;
        }

        string[] names = Enumerable.Range(0, ImageSide * ImageSide).Select(k => $"pixel_{k / ImageSide}_{k % ImageSide}").ToArray();
        train = Read("FashionMnist", Path.Combine(dir, TrainImages), Path.Combine(dir, TrainLabels), names);
        test = Read("FashionMnist", Path.Combine(dir, TestImages), Path.Combine(dir, TestLabels), names);
        return true;
    }

    private static string? FindDirectory(string dir)
    {
        foreach (string candidate in new[] { dir, Path.Combine(dir, "fashion-mnist") })
        {
            if (new[] { TrainImages, TrainLabels, TestImages, TestLabels }.All(f => File.Exists(Path.Combine(candidate, f))))
            {
                return candidate;
            }
        }

        return null;
    }

    private static Dataset Read(string name, string imagesPath, string labelsPath, string[] featureNames)
    {
        byte[] images = ReadIdx(imagesPath, 0x0803, out int[] imageDims);
        byte[] labels = ReadIdx(labelsPath, 0x0801, out int[] labelDims);
        if (imageDims[1] != ImageSide || imageDims[2] != ImageSide || imageDims[0] != labelDims[0])
        {
            throw new InvalidDataException($"{imagesPath}: {string.Join('x', imageDims)} images for {labelDims[0]} labels.");
        }

        var features = new float[images.Length];
        for (int i = 0; i < images.Length; i++)
        {
            features[i] = images[i] / 255f;
        }

        var y = new float[labels.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            y[i] = labels[i];
        }

        return new Dataset(name, features, ImageSide * ImageSide, y, 10, featureNames);
    }

    /// <summary>Reads a gzip-compressed idx file of unsigned bytes: big-endian magic, dimensions, then the data.</summary>
    private static byte[] ReadIdx(string path, int expectedMagic, out int[] dims)
    {
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        Span<byte> word = stackalloc byte[4];
        gz.ReadExactly(word);
        int magic = BinaryPrimitives.ReadInt32BigEndian(word);
        if (magic != expectedMagic)
        {
            throw new InvalidDataException($"{path}: idx magic 0x{magic:x8}, expected 0x{expectedMagic:x8}.");
        }

        dims = new int[magic & 0xff];
        long count = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            gz.ReadExactly(word);
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(word);
            count *= dims[i];
        }

        var data = new byte[checked((int)count)];
        gz.ReadExactly(data);
        return data;
    }
}
