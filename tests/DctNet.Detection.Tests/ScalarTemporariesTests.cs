using System.Reflection;
using static TorchSharp.torch;

namespace DctNet.Detection.Tests;

/// <summary>
/// No DctNet method hands libtorch a Scalar that nothing holds (see <c>HeldScalars</c>): a garbage collection can free
/// such a temporary while libtorch reads it, and a gated training run crashed so in Scalar::toFloat. The calls that
/// make one are found in the compiled code, so the test covers every path, also those no other test runs.
/// </summary>
public sealed class ScalarTemporariesTests
{
    [Fact]
    public void No_method_calls_an_overload_that_makes_a_temporary_scalar()
    {
        var offenders = new List<string>();
        foreach (var assembly in new[] { typeof(HeldScalars).Assembly, typeof(DctNet.Detection.Ops.LevelMapper).Assembly })
        {
            foreach (var type in assembly.GetTypes())
            {
                const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
                foreach (var method in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
                {
                    foreach (var called in CalledMethods(method).Where(MakesATemporaryScalar))
                        offenders.Add($"{type.FullName}.{method.Name} calls Tensor.{called.Name}({string.Join(", ", called.GetParameters().Select(p => p.ParameterType.Name))})");
                }
            }
        }
        Assert.True(offenders.Count == 0, string.Join("\n", offenders.Distinct()));
    }

    /// <summary>
    /// Tensor.add and add_ without an alpha pass a temporary alpha of 1, and so does every + (TorchSharp 0.107.0, read
    /// from its IL); an arithmetic operator with an operand that is not a tensor (<c>x * 0.5</c>) turns it into a
    /// temporary Scalar.
    /// </summary>
    private static bool MakesATemporaryScalar(MethodBase method)
    {
        if (method.DeclaringType != typeof(Tensor))
            return false;
        var parameters = method.GetParameters();
        return method.Name switch
        {
            "add" or "add_" => parameters.Length == 1,
            "op_Addition" => true,
            "op_Subtraction" or "op_Multiply" or "op_Division" => parameters.Any(p => p.ParameterType != typeof(Tensor)),
            _ => false,
        };
    }

    /// <summary>The targets of the method's call and callvirt instructions (opcodes 0x28 and 0x6F, each followed by a method token).</summary>
    private static IEnumerable<MethodBase> CalledMethods(MethodBase method)
    {
        byte[]? il;
        try
        {
            il = method.GetMethodBody()?.GetILAsByteArray();
        }
        catch (BadImageFormatException)
        {
            yield break;
        }
        if (il is null)
            yield break;
        for (int i = 0; i + 4 < il.Length; i++)
        {
            if (il[i] is not (0x28 or 0x6F))
                continue;
            MethodBase? target = null;
            try
            {
                // A byte that only looks like the opcode (an operand of another instruction) rarely forms a valid method
                // token, and then almost never one of the few methods looked for.
                target = method.Module.ResolveMethod(BitConverter.ToInt32(il, i + 1),
                    method.DeclaringType?.IsGenericType == true ? method.DeclaringType.GetGenericArguments() : null,
                    method.IsGenericMethod ? method.GetGenericArguments() : null);
            }
            catch (Exception e) when (e is ArgumentException or BadImageFormatException)
            {
            }
            if (target is not null)
                yield return target;
        }
    }
}
