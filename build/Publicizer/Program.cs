// Writes reference-only copies of assemblies with every type, method and field public, so that the library can
// compile against ML.NET's first-party trainer and persistence types (see README, "How the library reaches ML.NET").
// The copies are build intermediates under obj/: never committed, never shipped; at run time the real assemblies
// load, and the library's IgnoresAccessChecksToAttribute lets CoreCLR accept the calls.
using Mono.Cecil;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: Publicizer <output-dir> <assembly.dll>...");
    return 2;
}

string outputDir = args[0];
Directory.CreateDirectory(outputDir);
var resolver = new DefaultAssemblyResolver();
foreach (string input in args.Skip(1))
{
    resolver.AddSearchDirectory(Path.GetDirectoryName(Path.GetFullPath(input))!);
}

foreach (string input in args.Skip(1))
{
    using var assembly = AssemblyDefinition.ReadAssembly(input, new ReaderParameters { AssemblyResolver = resolver });
    foreach (TypeDefinition type in assembly.MainModule.GetTypes())
    {
        Publicize(type);
    }
    string output = Path.Combine(outputDir, Path.GetFileName(input));
    assembly.Write(output);
    Console.WriteLine($"publicized {Path.GetFileName(input)}");
}
return 0;

static void Publicize(TypeDefinition type)
{
    if (type.IsNested)
    {
        type.IsNestedPublic = true;
    }
    else
    {
        type.IsPublic = true;
    }

    var eventNames = new HashSet<string>(type.Events.Select(e => e.Name));
    foreach (MethodDefinition method in type.Methods)
    {
        // Explicit interface implementations stay private: making them public creates bogus members.
        if (method.HasOverrides && method.IsPrivate)
        {
            continue;
        }
        method.IsPublic = true;
    }
    foreach (FieldDefinition field in type.Fields)
    {
        // A field-like event's backing field shares the event's name; public, it would make the event ambiguous.
        if (eventNames.Contains(field.Name) || field.Name.Contains('<'))
        {
            continue;
        }
        field.IsPublic = true;
    }
}
