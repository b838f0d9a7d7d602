using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using DctNet.Frequency.IO;

namespace DctNet.Checkpoints;

/// <summary>The two ways torch.save lays out a file.</summary>
public enum PyTorchSerialization
{
    /// <summary>PyTorch >= 1.6: a zip archive holding data.pkl and one record per storage.</summary>
    Zip,

    /// <summary>torch.save(..., _use_new_zipfile_serialization=False) and PyTorch before 1.6: pickles, then raw storages.</summary>
    Legacy,
}

/// <summary>What a PyTorch checkpoint file held.</summary>
/// <param name="StateDictEntry">"state_dict" or "model" when the weights were nested under that entry; null for a bare state dict.</param>
/// <param name="DataParallelPrefixRemoved">Whether every key began with DataParallel's "module.", now removed.</param>
/// <param name="IgnoredEntries">The other top-level entries (epoch, optimizer, best_prec1, ...), never read beyond their pickle.</param>
public sealed record PyTorchCheckpointContents(
    PyTorchSerialization Serialization,
    StateDict StateDict,
    string? StateDictEntry,
    bool DataParallelPrefixRemoved,
    IReadOnlyList<string> IgnoredEntries);

/// <summary>Which fields the release's training script saved beside the weights (its model_best.pth.tar).</summary>
public sealed record ReleaseCheckpointFields(int Epoch, string Arch, double BestPrec1);

/// <summary>How <see cref="PyTorchCheckpoint.Write"/> lays out the weights.</summary>
public sealed record PyTorchExportOptions
{
    /// <summary>Put DataParallel's "module." before every key, as the release's files have it.</summary>
    public bool DataParallelPrefix { get; init; }

    /// <summary>
    /// Write the release's dict {"epoch", "arch", "state_dict", "best_prec1"} (what its scripts index) instead
    /// of a bare state dict.
    /// </summary>
    public ReleaseCheckpointFields? ReleaseLayout { get; init; }
}

/// <summary>
/// Reads and writes the files of torch.save. Reading accepts both serializations, a bare state dict or one
/// nested under "state_dict" or "model", with or without DataParallel's "module." prefix, and never
/// constructs or runs anything a file names beyond tensors and plain containers (<see cref="RestrictedUnpickler"/>).
/// </summary>
public static class PyTorchCheckpoint
{
    private const string DataParallelPrefix = "module.";
    private const string ArchiveName = "archive";

    // torch/serialization.py: MAGIC_NUMBER and PROTOCOL_VERSION of the legacy format.
    private static readonly BigInteger LegacyMagicNumber = BigInteger.Parse("119547037146038801333356", System.Globalization.CultureInfo.InvariantCulture);
    private const long LegacyProtocolVersion = 1001;

    public static StateDict ReadStateDict(string path) => Read(path).StateDict;

    /// <summary>
    /// Reads the weights of a torch.save file; errors are one line that starts with the path. The pickle and the
    /// storages' sizes are read and checked now; each tensor's elements are read from the file when first used
    /// (<see cref="TensorData"/>), only the elements its view needs.
    /// </summary>
    /// <exception cref="UnsafeCheckpointException">The file names a global other than tensors and plain containers.</exception>
    /// <exception cref="CheckpointException">The file is missing, truncated, corrupt, or holds no state dict.</exception>
    public static PyTorchCheckpointContents Read(string path) => CheckpointErrors.Reading(path, () =>
    {
        using var file = FileProbe.OpenRead(path, 1 << 16);
        Span<byte> head = stackalloc byte[4];
        int headLength = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        file.Position = 0;
        if (headLength == 4 && head.SequenceEqual("PK\x03\x04"u8))
            return ReadZip(path, file);
        if (headLength > 0 && head[0] == 0x80)
            return ReadLegacy(path, file);
        throw new InvalidDataException(headLength == 0
            ? "empty file."
            : "not a PyTorch checkpoint: neither a zip archive (torch.save since 1.6) nor a legacy torch.save pickle.");
    });

    /// <summary>
    /// Writes a zip-format file that torch.load and load_state_dict accept (PyTorch >= 1.6), atomically: byte for
    /// byte the records torch.save writes for the same tensors (data.pkl, data/N, version) plus "byteorder".
    /// </summary>
    public static void Write(string path, StateDict stateDict, PyTorchExportOptions? options = null)
    {
        options ??= new PyTorchExportOptions();
        var weights = options.DataParallelPrefix ? stateDict.WithPrefix(DataParallelPrefix) : stateDict;
        var tensors = weights.ToList();
        byte[] pickle = TorchPickleWriter.Write(tensors, options.ReleaseLayout);

        AtomicFile.Write(path, file =>
        {
            using var archive = new ZipArchive(file, ZipArchiveMode.Create, leaveOpen: true);
            AddRecord(archive, "data.pkl", pickle);
            AddRecord(archive, "byteorder", "little"u8.ToArray());
            // Storage keys are the tensors' positions; torch.save writes the records in sorted key order.
            foreach (int index in Enumerable.Range(0, tensors.Count).OrderBy(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparer.Ordinal))
                AddRecord(archive, $"data/{index}", tensors[index].Value.Bytes.Span);
            AddRecord(archive, "version", "3\n"u8.ToArray());
        });
    }

    private static void AddRecord(ZipArchive archive, string name, ReadOnlySpan<byte> data)
    {
        // Stored, not deflated, as torch.save writes its records; a fixed date keeps the output reproducible.
        var entry = archive.CreateEntry($"{ArchiveName}/{name}", CompressionLevel.NoCompression);
        entry.LastWriteTime = new DateTimeOffset(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using var stream = entry.Open();
        stream.Write(data);
    }

    private static PyTorchCheckpointContents ReadZip(string path, FileStream file)
    {
        using var archive = OpenArchive(file);
        var records = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
        foreach (var entry in archive.Entries)
        {
            if (!records.TryAdd(entry.FullName, entry))
                throw new InvalidDataException($"the archive holds two records named '{entry.FullName}'; torch.save writes each once.");
        }
        var pickles = records.Keys.Where(name => name.EndsWith("/data.pkl", StringComparison.Ordinal) && name.IndexOf('/', StringComparison.Ordinal) == name.Length - "/data.pkl".Length).ToList();
        if (pickles.Count != 1)
            throw new InvalidDataException($"a zip archive that torch.save did not write: expected one <name>/data.pkl record, found {(pickles.Count == 0 ? "none" : string.Join(", ", pickles))}.");
        string prefix = pickles[0][..^"data.pkl".Length];
        if (records.TryGetValue(prefix + "byteorder", out var byteOrder) && !ReadRecord(byteOrder, "little".Length).AsSpan().SequenceEqual("little"u8))
            throw new InvalidDataException("big-endian storages (byteorder record is not 'little') are not supported.");

        var storages = new StorageTable();
        object? root;
        using (var pickle = new MemoryStream(ReadRecord(records[pickles[0]], CheckpointLimits.MaxStructureBytes)))
            root = RestrictedUnpickler.Load(pickle, id => storages.Register(RestrictedUnpickler.ParseStoragePersistentId(id, expectedLength: 5)));

        string RecordOf(StorageReference storage)
        {
            string name = $"{prefix}data/{storage.Key}";
            if (!records.TryGetValue(name, out var record))
                throw new InvalidDataException($"storage record '{name}' is missing from the archive.");
            if (record.Length != storage.ByteCount)
                throw new InvalidDataException($"storage record '{name}' holds {record.Length} bytes; its {storage.ElementCount} {storage.ElementType} elements need {storage.ByteCount}.");
            return name;
        }
        return Extract(PyTorchSerialization.Zip, root, tensor =>
        {
            string name = RecordOf(tensor.Storage);
            return Deferred(path, tensor, () =>
            {
                using var reopened = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
                using var again = OpenArchive(reopened);
                using var storage = (again.GetEntry(name) ?? throw new InvalidDataException($"storage record '{name}' is gone (was the file replaced while it was read?).")).Open();
                return tensor.Gather(storage);
            });
        });
    }

    private static ZipArchive OpenArchive(FileStream file)
    {
        EnsureFewRecords(file);
        try
        {
            return new ZipArchive(file, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"truncated or corrupt zip archive ({e.Message})", e);
        }
    }

    /// <summary>
    /// Checks the number of records and the central directory's size that the archive's end records declare, before
    /// ZipArchive reads the directory: it keeps every record in memory (2 million empty records, a 230 MB file, took
    /// 1.1 GB). torch.save writes one record per storage. (ZipArchive itself stops at the declared count.)
    /// </summary>
    private static void EnsureFewRecords(FileStream file)
    {
        const int MaxRecords = CheckpointLimits.MaxTensors + 3; // data.pkl, version, byteorder
        const long MaxDirectoryBytes = MaxRecords * 320L; // 46 bytes of header, a name, zip64's extra field
        const int EndRecordBytes = 22, Zip64LocatorBytes = 20, Zip64EndRecordBytes = 56;

        // The end of central directory record: within the last 22 bytes plus an archive comment of up to 65535.
        var tail = new byte[(int)Math.Min(file.Length, EndRecordBytes + ushort.MaxValue)];
        file.Position = file.Length - tail.Length;
        file.ReadExactly(tail);
        file.Position = 0;
        int end = tail.AsSpan().LastIndexOf("PK\x05\x06"u8);
        if (end < 0 || end + EndRecordBytes > tail.Length)
            return; // ZipArchive reports the missing record
        ulong records = BinaryPrimitives.ReadUInt16LittleEndian(tail.AsSpan(end + 10));
        ulong directoryBytes = BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(end + 12));
        if (end >= Zip64LocatorBytes && tail.AsSpan(end - Zip64LocatorBytes).StartsWith("PK\x06\x07"u8))
        {
            long zip64End = BinaryPrimitives.ReadInt64LittleEndian(tail.AsSpan(end - Zip64LocatorBytes + 8));
            if (zip64End >= 0 && zip64End <= file.Length - Zip64EndRecordBytes)
            {
                var zip64 = new byte[Zip64EndRecordBytes];
                file.Position = zip64End;
                file.ReadExactly(zip64);
                file.Position = 0;
                if (zip64.AsSpan().StartsWith("PK\x06\x06"u8))
                {
                    records = BinaryPrimitives.ReadUInt64LittleEndian(zip64.AsSpan(32));
                    directoryBytes = BinaryPrimitives.ReadUInt64LittleEndian(zip64.AsSpan(40));
                }
            }
        }
        if (records > MaxRecords || directoryBytes > MaxDirectoryBytes)
            throw new InvalidDataException($"the archive declares {records} records in a {directoryBytes}-byte directory; torch.save writes one per storage (at most {CheckpointLimits.MaxTensors} storages are read).");
    }

    /// <summary>A small record read whole; <paramref name="maxLength"/> is checked against its declared size before anything is inflated.</summary>
    private static byte[] ReadRecord(ZipArchiveEntry record, long maxLength)
    {
        if (record.Length > maxLength)
            throw new InvalidDataException($"record '{record.FullName}' declares {record.Length} bytes; torch.save writes at most {maxLength} there.");
        var bytes = new byte[record.Length];
        using var stream = record.Open();
        try
        {
            stream.ReadExactly(bytes);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"record '{record.FullName}' is shorter than its declared {record.Length} bytes (corrupt archive).", e);
        }
        return bytes;
    }

    private static PyTorchCheckpointContents ReadLegacy(string path, FileStream file)
    {
        static object? NoPersistentIds(object? id) => throw new InvalidDataException("a legacy header pickle refers to a storage.");

        BigInteger? magic = RestrictedUnpickler.Load(file, NoPersistentIds) switch
        {
            long number => number,
            BigInteger number => number,
            _ => null,
        };
        if (magic != LegacyMagicNumber)
            throw new InvalidDataException("not a PyTorch checkpoint: a pickle, but without torch.save's magic number.");
        if (RestrictedUnpickler.Load(file, NoPersistentIds) is not long version || version != LegacyProtocolVersion)
            throw new InvalidDataException($"legacy torch.save protocol other than {LegacyProtocolVersion} is not supported.");
        if (RestrictedUnpickler.Load(file, NoPersistentIds) is not PickleDict systemInfo
            || !systemInfo.TryGet("little_endian", out var littleEndian) || littleEndian is not bool)
        {
            throw new InvalidDataException("legacy header has no system information.");
        }
        if (littleEndian is false)
            throw new InvalidDataException("written on a big-endian machine, which is not supported.");

        var storages = new StorageTable();
        object? root = RestrictedUnpickler.Load(file, id => storages.Register(RestrictedUnpickler.ParseStoragePersistentId(id, expectedLength: 6)));
        if (RestrictedUnpickler.Load(file, NoPersistentIds) is not List<object?> keys || keys.Any(key => key is not string))
            throw new InvalidDataException("legacy file has no list of storage keys after its data.");

        // Each storage: an int64 element count, then its elements. Note where each starts; tensors read from there.
        var dataOffsets = new Dictionary<string, long>(StringComparer.Ordinal);
        Span<byte> countBytes = stackalloc byte[8];
        foreach (string key in keys.Cast<string>())
        {
            var storage = storages.Find(key) ?? throw new InvalidDataException($"storage '{key}' is listed but no tensor uses it.");
            if (file.ReadAtLeast(countBytes, 8, throwOnEndOfStream: false) != 8)
                throw new InvalidDataException($"truncated: the file ends at byte {file.Position} before storage '{key}'.");
            long count = BinaryPrimitives.ReadInt64LittleEndian(countBytes);
            if (count != storage.ElementCount)
                throw new InvalidDataException($"storage '{key}' holds {count} elements; the pickle says {storage.ElementCount}.");
            if (storage.ByteCount > file.Length - file.Position)
                throw new InvalidDataException($"truncated: storage '{key}' needs {storage.ByteCount} bytes at byte {file.Position}; the file ends at {file.Length}.");
            dataOffsets[key] = file.Position;
            file.Seek(storage.ByteCount, SeekOrigin.Current);
        }

        return Extract(PyTorchSerialization.Legacy, root, tensor =>
        {
            if (!dataOffsets.TryGetValue(tensor.Storage.Key, out long offset))
                throw new InvalidDataException($"storage '{tensor.Storage.Key}' is missing from the file's storage list.");
            return Deferred(path, tensor, () =>
            {
                using var reopened = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
                reopened.Position = offset;
                return tensor.Gather(reopened);
            });
        });
    }

    /// <summary>A tensor whose elements are read from <paramref name="path"/> on first use, with any error naming the file.</summary>
    private static TensorData Deferred(string path, TensorReference tensor, Func<byte[]> read)
        => new(tensor.Storage.ElementType, tensor.Shape, () => CheckpointErrors.Reading(path, read));

    /// <summary>
    /// Picks the state dict out of what the file holds: the dict itself when its values are tensors, else its
    /// "state_dict" or "model" entry; removes DataParallel's prefix when every key has it.
    /// </summary>
    private static PyTorchCheckpointContents Extract(PyTorchSerialization serialization, object? root, Func<TensorReference, TensorData> defer)
    {
        if (root is not PickleDict top)
            throw new InvalidDataException($"the file holds a {RestrictedUnpickler.Describe(root)}, not a state dict or a checkpoint dict.");

        string? entry = null;
        PickleDict weights = top;
        foreach (string candidate in (string[])["state_dict", "model"])
        {
            if (top.TryGet(candidate, out var nested) && nested is PickleDict nestedDict)
            {
                entry = candidate;
                weights = nestedDict;
                break;
            }
        }
        if (entry is null && top.Items.Any(item => item.Value is not TensorReference))
        {
            throw new InvalidDataException(
                "no state dict: expected a dict of tensors, or one under 'state_dict' or 'model' (top-level entries: "
                + string.Join(", ", top.Items.Select(item => DescribeKey(item.Key))) + ").");
        }

        var names = new List<string>(weights.Count);
        foreach (var (key, value) in weights.Items)
        {
            if (key is not string name)
                throw new InvalidDataException($"the state dict has a key {RestrictedUnpickler.Describe(key)}; keys must be strings.");
            if (value is not TensorReference)
                throw new InvalidDataException($"state dict entry '{name}' is a {RestrictedUnpickler.Describe(value)}, not a tensor.");
            names.Add(name);
        }
        bool removePrefix = names.Count > 0 && names.All(name => name.StartsWith(DataParallelPrefix, StringComparison.Ordinal));

        var stateDict = new StateDict();
        foreach (var (key, value) in weights.Items)
        {
            string name = (string)key!;
            stateDict.Add(removePrefix ? name[DataParallelPrefix.Length..] : name, defer((TensorReference)value!));
        }
        var ignored = entry is null ? [] : top.Items.Where(item => !Equals(item.Key, entry)).Select(item => DescribeKey(item.Key)).ToList();
        return new PyTorchCheckpointContents(serialization, stateDict, entry, removePrefix, ignored);
    }

    private static string DescribeKey(object? key) => key as string ?? RestrictedUnpickler.Describe(key);

    /// <summary>The storages a pickle names, one reference per key however many tensors view it.</summary>
    private sealed class StorageTable
    {
        private readonly Dictionary<string, StorageReference> byKey = new(StringComparer.Ordinal);

        public StorageReference Register((string Key, TensorElementType ElementType, long ElementCount) id)
        {
            var storage = new StorageReference(id.Key, id.ElementType, id.ElementCount);
            if (!byKey.TryGetValue(id.Key, out var known))
                return byKey[id.Key] = storage;
            if (known != storage)
                throw new InvalidDataException($"storage '{id.Key}' is named as {known.ElementCount} {known.ElementType} and as {storage.ElementCount} {storage.ElementType} elements.");
            return known;
        }

        public StorageReference? Find(string key) => byKey.GetValueOrDefault(key);
    }
}
