using System.Text.Json;
using DctNet.Fuzz;

// dotnet run -c Release --project tools/fuzz -- OUT_DIR: writes the corpus and OUT_DIR/cases.json, the commands to run.
// The test FuzzSuiteTests generates the same corpus in a temporary folder and runs every case through the CLI.
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: dotnet run -c Release --project tools/fuzz -- OUT_DIR");
    return 2;
}
var corpus = new FuzzCorpus(args[0]);
var cases = corpus.WriteAll();
File.WriteAllText(Path.Combine(corpus.Root, "cases.json"), JsonSerializer.Serialize(cases, new JsonSerializerOptions { WriteIndented = true }));
foreach (var group in cases.GroupBy(c => c.Class))
    Console.WriteLine($"{group.Key}: {group.Count()} cases");
Console.WriteLine($"{cases.Count} cases in {corpus.Root}");
return 0;
