// A real WCF peer for ipamd's net.tcp listener ([MS-IPAMM2] §2.1, §3.19, §3.21), built with
// Mono's mcs against Mono's System.ServiceModel. The contracts follow the §6 WSDL and the
// §7 XSD: IIpamOperationWithProgress with its callback contract, and the DataContracts of
// the DHCP failover parameters.
//
// Usage: mono IpamClient.exe URL binary|text OPERATION ARGS...
//   create NAME SERVER1 SERVER2 SCOPE,SCOPE,...      CreateDhcpFailover
//   add    RECORDID NAME SERVER1 SERVER2 SCOPE,...    AddDhcpFailoverScopes
//   remove SCOPE,SCOPE,...                            RemoveDhcpFailoverScopes
//   delete RECORDID NAME SERVER1 SERVER2              DeleteDhcpFailover
//   bad    NAME SERVER1 SERVER2                       CreateDhcpFailover with an unknown
//                                                     scope: expects an IpamException fault
// Every callback is printed; the exit code is non-zero on any deviation.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Runtime.Serialization;
using System.ServiceModel;
using System.ServiceModel.Channels;
using System.Threading;
using System.Xml;

namespace Microsoft.Windows.Ipam
{
    // §2.2.2.1: the fault detail, written as an ISerializable exception whose
    // IpamExceptionData member carries the ExceptionId.
    [Serializable]
    [KnownType(typeof(IpamExceptionData))]
    public class IpamException : Exception
    {
        public IpamExceptionData IpamExceptionData;

        public IpamException() { }

        protected IpamException(SerializationInfo info, StreamingContext context) : base(info, context)
        {
            foreach (SerializationEntry e in info)
                if (e.Name == "IpamExceptionData")
                    IpamExceptionData = e.Value as IpamExceptionData;
        }

        public override void GetObjectData(SerializationInfo info, StreamingContext context)
        {
            base.GetObjectData(info, context);
            info.AddValue("IpamExceptionData", IpamExceptionData);
        }
    }
}

namespace Microsoft.Windows.Ipam
{
    [DataContract(Namespace = "http://Microsoft.Windows.Ipam")]
    public class IpamExceptionData
    {
        [DataMember] public string ExceptionId;
        [DataMember] public string ExceptionMessage;
    }
}

namespace IpamPeer
{
    using Microsoft.Windows.Ipam;

    static class Ns
    {
        public const string Ipam = "http://Microsoft.Windows.Ipam";
    }

    [DataContract(Namespace = Ns.Ipam)]
    public enum IpamAdminOperationId
    {
        [EnumMember] CreateDhcpFailover,
        [EnumMember] EditDhcpFailover,
        [EnumMember] AddDhcpFailoverScopes,
        [EnumMember] RemoveDhcpFailoverScopes,
        [EnumMember] DeleteDhcpFailover,
    }

    [DataContract(Namespace = Ns.Ipam)]
    public enum DhcpFailoverMode { [EnumMember] None, [EnumMember] LoadBalance, [EnumMember] HotStandby }

    [DataContract(Namespace = Ns.Ipam)]
    public enum DhcpFailoverState
    {
        [EnumMember] Unknown, [EnumMember] NoState, [EnumMember] Init, [EnumMember] Startup,
        [EnumMember] Normal, [EnumMember] CommunicationsInterrupted, [EnumMember] PartnerDown,
        [EnumMember] PotentialConflict, [EnumMember] ConflictDone, [EnumMember] ResolutionInterrupted,
        [EnumMember] Recover, [EnumMember] RecoverWait, [EnumMember] RecoverDone,
    }

    [DataContract(Namespace = Ns.Ipam)]
    public enum DhcpFailoverOperationOwner { [EnumMember] ServerOne, [EnumMember] ServerTwo }

    [DataContract(Namespace = Ns.Ipam)]
    public enum SubTaskStatus
    {
        [EnumMember] NotStarted, [EnumMember] InProgress, [EnumMember] CompletedWithError,
        [EnumMember] CompletedWithWarning, [EnumMember] CompletedWithSuccess,
        [EnumMember] NotApplicable, [EnumMember] NotRun,
    }

    [DataContract(Namespace = Ns.Ipam)]
    public enum OverallProgressStatus
    {
        [EnumMember] NotStarted, [EnumMember] InProgress,
        [EnumMember] CompletedWithSuccess, [EnumMember] CompletedWithFailure,
    }

    [DataContract(Namespace = Ns.Ipam)]
    public enum IpamObjectType { [EnumMember] None, [EnumMember] DHCPServerv4, [EnumMember] DHCPScopev4, [EnumMember] DHCPFailover }

    [DataContract(Namespace = Ns.Ipam)]
    public enum EntityOperationType { [EnumMember] Unknown, [EnumMember] Add, [EnumMember] Update, [EnumMember] Delete }

    // §7: IpamObject is the root of the polymorphic members (paramters, completionStatus,
    // SubTaskInstanceDetails, ReturnObject).
    [DataContract(Namespace = Ns.Ipam)]
    [KnownType(typeof(DhcpFailoverWithScopesParameters))]
    [KnownType(typeof(DhcpFailoverRemoveScopesParameters))]
    [KnownType(typeof(DhcpFailoverDeleteParameters))]
    [KnownType(typeof(DhcpFailover))]
    [KnownType(typeof(FailoverDataFormatter))]
    [KnownType(typeof(DhcpMsmOverallCompletionStatus))]
    [KnownType(typeof(EntityStatusCollection))]
    [KnownType(typeof(SubTaskInstance))]
    public class IpamObject { }

    [DataContract(Namespace = Ns.Ipam)]
    public class BaseIpamObject : IpamObject
    {
        [DataMember(EmitDefaultValue = true)] public List<string> ModifiedProperties;
        [DataMember(EmitDefaultValue = true)] public List<string> SetProperties;
    }

    [DataContract(Namespace = Ns.Ipam)]
    public class IpamOperationWithProgressParameters : IpamObject
    {
        [DataMember] public IpamAdminOperationId OperationId;
    }

    [DataContract(Namespace = Ns.Ipam)]
    public class DhcpFailoverWithScopesParameters : IpamOperationWithProgressParameters
    {
        [DataMember] public DhcpFailover Failover;
        [DataMember] public List<long> ScopeIds;
    }

    [DataContract(Namespace = Ns.Ipam)]
    public class DhcpFailoverRemoveScopesParameters : IpamOperationWithProgressParameters
    {
        [DataMember] public bool Force;
        [DataMember] public List<long> ScopeIds;
    }

    [DataContract(Namespace = Ns.Ipam)]
    public class DhcpFailoverDeleteParameters : IpamOperationWithProgressParameters
    {
        [DataMember] public DhcpFailover Failover;
        [DataMember] public bool Force;
    }

    [DataContract(Namespace = Ns.Ipam)]
    public class DhcpFailover : BaseIpamObject
    {
        [DataMember] public bool AutoStateTransition;
        [DataMember] public TimeSpan MCLT;
        [DataMember] public DhcpFailoverMode Mode;
        [DataMember] public long RecordId;
        [DataMember] public string RelationshipName;
        [DataMember] public SysNetIPAddress Server1IP;
        [DataMember] public string Server1Name;
        [DataMember] public string Server1PSName;
        [DataMember] public uint Server1Percentage;
        [DataMember] public long Server1RecordId;
        [DataMember] public DhcpFailoverState Server1State;
        [DataMember] public SysNetIPAddress Server2IP;
        [DataMember] public string Server2Name;
        [DataMember] public string Server2PSName;
        [DataMember] public long Server2RecordId;
        [DataMember] public DhcpFailoverState Server2State;
        [DataMember] public DhcpFailoverOperationOwner ServerOwner;
        [DataMember] public byte[] SharedSecret;
        [DataMember] public bool SharedSecretEnabled;
        [DataMember] public TimeSpan StateSwitchInterval;
    }

    [DataContract(Name = "AddressFamily", Namespace = "http://schemas.datacontract.org/2004/07/System.Net.Sockets")]
    public enum AddressFamily { [EnumMember] InterNetwork = 2, [EnumMember] InterNetworkV6 = 23 }

    // sysnet:IPAddress (§2.2.4.441): the .NET Framework's serialized IPAddress fields.
    // Mono's own System.Net.IPAddress has other private fields, so the contract is spelled
    // out here.
    [DataContract(Name = "IPAddress", Namespace = "http://schemas.datacontract.org/2004/07/System.Net")]
    public class SysNetIPAddress
    {
        [DataMember] public long m_Address;
        [DataMember] public AddressFamily m_Family;
        [DataMember] public int m_HashCode;
        [DataMember] public ushort[] m_Numbers;
        [DataMember] public long m_ScopeId;

        public static SysNetIPAddress V4(string dotted)
        {
            // m_Address holds the octets little-endian: 10.0.0.1 = 16777226 (§4.2).
            var b = IPAddress.Parse(dotted).GetAddressBytes();
            return new SysNetIPAddress
            {
                m_Address = (long)BitConverter.ToUInt32(b, 0),
                m_Family = AddressFamily.InterNetwork,
                m_Numbers = new ushort[8],
            };
        }
    }

    [DataContract(Namespace = Ns.Ipam)]
    public class FailoverDataFormatter : IpamObject
    {
        [DataMember] public string FailoverName;
        [DataMember] public string Server1Name;
        [DataMember] public string Server2Name;
    }

    [DataContract(Namespace = Ns.Ipam)]
    public class SubTaskInstance : IpamObject
    {
        [DataMember] public IpamException FailedCompletionStatus;
        [DataMember] public bool IsNonDeterministicProgress;
        [DataMember] public string ProgressStatusDescriptions;
        [DataMember] public IpamObject SubTaskInstanceDetails;
        [DataMember] public int SubTaskInstanceId;
        [DataMember] public string SubTaskName;
        [DataMember] public SubTaskStatus SubTaskStatus;
        [DataMember] public int SubTaskUniqueId;
    }

    [DataContract(Namespace = Ns.Ipam)]
    public class EntityStatus
    {
        [DataMember] public bool IsSuccessful;
        [DataMember] public IpamObjectType ObjectType;
        [DataMember] public EntityOperationType OperationType;
        [DataMember] public long RecordId;
    }

    [DataContract(Namespace = Ns.Ipam)]
    public class EntityStatusCollection : IpamObject
    {
        [DataMember] public List<EntityStatus> EntityStatusList;
    }

    [DataContract(Namespace = Ns.Ipam)]
    public class DhcpMsmOverallCompletionStatus : IpamObject
    {
        [DataMember] public IpamObject EntityStatusCollectionObject;
        [DataMember] public IpamException ErrorInfo;
        [DataMember] public bool HasIpamUpdateError;
        [DataMember] public IpamObject ReturnObject;
    }

    // §3.19: the session contract; §3.21: its callbacks.
    [ServiceContract(Namespace = Ns.Ipam, CallbackContract = typeof(IIpamOperationWithProgressCallback), SessionMode = SessionMode.Required)]
    [ServiceKnownType(typeof(DhcpFailoverWithScopesParameters))]
    [ServiceKnownType(typeof(DhcpFailoverRemoveScopesParameters))]
    [ServiceKnownType(typeof(DhcpFailoverDeleteParameters))]
    public interface IIpamOperationWithProgress
    {
        [OperationContract]
        [FaultContract(typeof(IpamException))]
        void InitializeOperationParameters(IpamOperationWithProgressParameters paramters);

        [OperationContract]
        [FaultContract(typeof(IpamException))]
        void StartOperationWithCallback();

        // Mono's duplex client only hands a received message to the waiting request when its
        // action is one of the contract's message actions; otherwise a fault reply is thrown
        // on the receive loop and the call times out. This never-called operation declares
        // the SOAP fault action (the one WCF sends faults with) as a reply action, so fault
        // replies reach the pending call and surface as FaultException<IpamException>.
        [OperationContract(Action = "urn:ipamd-peer:unused", ReplyAction = "http://www.w3.org/2005/08/addressing/soap/fault")]
        void MonoFaultReplyWorkaround();
    }

    // The callbacks carry the service port type's actions (§4.3, and the captures).
    [ServiceContract(Namespace = Ns.Ipam)]
    public interface IIpamOperationWithProgressCallback
    {
        [OperationContract(IsOneWay = true, Action = "http://Microsoft.Windows.Ipam/IIpamOperationWithProgress/StartProgressCallback")]
        void StartProgressCallback(bool isNonDeterministic);

        [OperationContract(IsOneWay = true, Action = "http://Microsoft.Windows.Ipam/IIpamOperationWithProgress/AddSubTask")]
        void AddSubTask(SubTaskInstance subTaskInstance);

        [OperationContract(IsOneWay = true, Action = "http://Microsoft.Windows.Ipam/IIpamOperationWithProgress/SetSubTaskStatus")]
        void SetSubTaskStatus(SubTaskInstance subTaskInstance, SubTaskStatus status, decimal percentComplete, IpamException completionStatus);

        [OperationContract(IsOneWay = true, Action = "http://Microsoft.Windows.Ipam/IIpamOperationWithProgress/SetCompletionPercentage")]
        void SetCompletionPercentage(int completionPercentage);

        [OperationContract(IsOneWay = true, Action = "http://Microsoft.Windows.Ipam/IIpamOperationWithProgress/SetOverallStatus")]
        void SetOverallStatus(OverallProgressStatus overallStatus, IpamObject completionStatus);
    }

    [CallbackBehavior(ConcurrencyMode = ConcurrencyMode.Single, UseSynchronizationContext = false)]
    public class Callbacks : IIpamOperationWithProgressCallback
    {
        readonly object gate = new object();
        public readonly List<string> Names = new List<string>();
        public OverallProgressStatus? Overall;
        public DhcpMsmOverallCompletionStatus Completion;

        void Seen(string name, string detail)
        {
            lock (gate)
            {
                Names.Add(name);
                Console.WriteLine("  callback {0}{1}", name, detail);
                Monitor.PulseAll(gate);
            }
        }

        public void StartProgressCallback(bool isNonDeterministic)
        {
            Seen("StartProgressCallback", " isNonDeterministic=" + isNonDeterministic);
        }

        public void AddSubTask(SubTaskInstance t)
        {
            var details = t == null ? null : t.SubTaskInstanceDetails as FailoverDataFormatter;
            Seen("AddSubTask", t == null ? " (nil)" : string.Format(" #{0} '{1}'{2}", t.SubTaskInstanceId, t.SubTaskName,
                details == null ? "" : " failover=" + details.FailoverName));
        }

        public void SetSubTaskStatus(SubTaskInstance t, SubTaskStatus status, decimal percentComplete, IpamException completionStatus)
        {
            Seen("SetSubTaskStatus", string.Format(" #{0} {1} {2}%{3}", t == null ? 0 : t.SubTaskInstanceId, status, percentComplete,
                completionStatus != null && completionStatus.IpamExceptionData != null ? " " + completionStatus.IpamExceptionData.ExceptionId : ""));
        }

        public void SetCompletionPercentage(int completionPercentage)
        {
            Seen("SetCompletionPercentage", " " + completionPercentage + "%");
        }

        public void SetOverallStatus(OverallProgressStatus overallStatus, IpamObject completionStatus)
        {
            lock (gate)
            {
                Overall = overallStatus;
                Completion = completionStatus as DhcpMsmOverallCompletionStatus;
            }
            Seen("SetOverallStatus", " " + overallStatus);
        }

        // Callbacks are one-way: wait until SetOverallStatus has been dispatched.
        public bool WaitForOverall(TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            lock (gate)
            {
                while (Overall == null)
                {
                    var left = deadline - DateTime.UtcNow;
                    if (left <= TimeSpan.Zero || !Monitor.Wait(gate, left)) return Overall != null;
                }
                return true;
            }
        }
    }

    public static class Program
    {
        static readonly Dictionary<string, string[]> Expected = new Dictionary<string, string[]>
        {
            { "create", new[] { "StartProgressCallback", "AddSubTask", "SetSubTaskStatus", "SetCompletionPercentage", "AddSubTask", "SetSubTaskStatus", "SetSubTaskStatus", "SetCompletionPercentage", "SetOverallStatus" } },
            { "add", new[] { "StartProgressCallback", "AddSubTask", "SetCompletionPercentage", "SetSubTaskStatus", "SetCompletionPercentage", "SetOverallStatus" } },
            { "remove", null }, // one sub-task per scope: checked by its ends
            { "delete", new[] { "StartProgressCallback", "AddSubTask", "SetSubTaskStatus", "SetSubTaskStatus", "SetCompletionPercentage", "SetOverallStatus" } },
        };

        static Binding MakeBinding(string encoding)
        {
            Binding b;
            if (encoding == "binary")
                b = new NetTcpBinding(SecurityMode.None);
            else if (encoding == "text")
                b = new CustomBinding(new TextMessageEncodingBindingElement(MessageVersion.Soap12WSAddressing10, System.Text.Encoding.UTF8), new TcpTransportBindingElement());
            else
                throw new ArgumentException("encoding must be binary or text");
            b.OpenTimeout = b.CloseTimeout = b.SendTimeout = b.ReceiveTimeout = TimeSpan.FromSeconds(30);
            return b;
        }

        static long[] Ids(string csv)
        {
            return csv.Split(new[] { ',' }, StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToArray();
        }

        static DhcpFailover Failover(long recordId, string name, long s1, long s2)
        {
            return new DhcpFailover
            {
                AutoStateTransition = true,
                MCLT = TimeSpan.FromHours(1),
                Mode = DhcpFailoverMode.LoadBalance,
                RecordId = recordId,
                RelationshipName = name,
                Server1IP = SysNetIPAddress.V4("10.0.0.1"),
                Server1Name = "dhcp1.test",
                Server1PSName = "dhcp1.test",
                Server1Percentage = 50,
                Server1RecordId = s1,
                Server1State = DhcpFailoverState.Normal,
                Server2IP = SysNetIPAddress.V4("10.0.0.2"),
                Server2Name = "dhcp2.test",
                Server2PSName = "dhcp2.test",
                Server2RecordId = s2,
                Server2State = DhcpFailoverState.Normal,
                ServerOwner = DhcpFailoverOperationOwner.ServerOne,
                SharedSecret = System.Text.Encoding.ASCII.GetBytes("s3cret"),
                SharedSecretEnabled = true,
                StateSwitchInterval = TimeSpan.FromMinutes(10),
            };
        }

        static IpamOperationWithProgressParameters Parameters(string op, string[] a)
        {
            switch (op)
            {
                case "create":
                    return new DhcpFailoverWithScopesParameters { OperationId = IpamAdminOperationId.CreateDhcpFailover, Failover = Failover(0, a[0], long.Parse(a[1]), long.Parse(a[2])), ScopeIds = Ids(a[3]).ToList() };
                case "bad":
                    return new DhcpFailoverWithScopesParameters { OperationId = IpamAdminOperationId.CreateDhcpFailover, Failover = Failover(0, a[0], long.Parse(a[1]), long.Parse(a[2])), ScopeIds = new List<long> { 999999999 } };
                case "add":
                    return new DhcpFailoverWithScopesParameters { OperationId = IpamAdminOperationId.AddDhcpFailoverScopes, Failover = Failover(long.Parse(a[0]), a[1], long.Parse(a[2]), long.Parse(a[3])), ScopeIds = Ids(a[4]).ToList() };
                case "remove":
                    return new DhcpFailoverRemoveScopesParameters { OperationId = IpamAdminOperationId.RemoveDhcpFailoverScopes, Force = false, ScopeIds = Ids(a[0]).ToList() };
                case "delete":
                    return new DhcpFailoverDeleteParameters { OperationId = IpamAdminOperationId.DeleteDhcpFailover, Failover = Failover(long.Parse(a[0]), a[1], long.Parse(a[2]), long.Parse(a[3])), Force = false };
                default:
                    throw new ArgumentException("unknown operation " + op);
            }
        }

        static string ExceptionIdOf(FaultException fe)
        {
            var typed = fe as FaultException<IpamException>;
            if (typed != null && typed.Detail != null && typed.Detail.IpamExceptionData != null)
                return typed.Detail.IpamExceptionData.ExceptionId;
            // Untyped: read IpamExceptionData/ExceptionId from the detail.
            var fault = fe.CreateMessageFault();
            if (!fault.HasDetail) return null;
            using (var r = fault.GetReaderAtDetailContents())
            {
                while (r.Read())
                    if (r.NodeType == XmlNodeType.Element && r.LocalName == "ExceptionId")
                        return r.ReadElementContentAsString();
            }
            return null;
        }

        public static int Main(string[] args)
        {
            // Mono's duplex receive loop can keep the process alive after a fault; exit
            // explicitly with the result.
            int code = Run(args);
            Console.Out.Flush();
            Environment.Exit(code);
            return code;
        }

        static int Run(string[] args)
        {
            if (args.Length < 3)
            {
                Console.Error.WriteLine("usage: IpamClient.exe URL binary|text create|add|remove|delete|bad ARGS...");
                return 2;
            }
            string url = args[0], encoding = args[1], op = args[2];
            var rest = args.Skip(3).ToArray();
            var callbacks = new Callbacks();
            var factory = new DuplexChannelFactory<IIpamOperationWithProgress>(new InstanceContext(callbacks), MakeBinding(encoding), new EndpointAddress(url));
            var channel = factory.CreateChannel();
            var comm = (ICommunicationObject)channel;
            Console.WriteLine("{0} {1} over {2}", op, string.Join(" ", rest), encoding);
            try
            {
                comm.Open();
                channel.InitializeOperationParameters(Parameters(op, rest));
                Console.WriteLine("  InitializeOperationParametersResponse");
                if (op == "bad")
                {
                    try
                    {
                        channel.StartOperationWithCallback();
                        Console.Error.WriteLine("FAIL: the bad request succeeded");
                        return 1;
                    }
                    catch (FaultException fe)
                    {
                        var id = ExceptionIdOf(fe);
                        Console.WriteLine("  fault {0}: ExceptionId={1} ({2})", fe.GetType().Name, id, fe.Message);
                        if (id != "IpamApiDhcpScopeNotFoundInDB")
                        {
                            Console.Error.WriteLine("FAIL: unexpected ExceptionId " + id);
                            return 1;
                        }
                        if (!(fe is FaultException<IpamException>))
                            Console.WriteLine("  note: the fault was not typed as FaultException<IpamException>");
                    }
                    if (!callbacks.WaitForOverall(TimeSpan.FromSeconds(10)) || callbacks.Overall != OverallProgressStatus.CompletedWithFailure)
                    {
                        Console.Error.WriteLine("FAIL: no SetOverallStatus CompletedWithFailure");
                        return 1;
                    }
                }
                else
                {
                    channel.StartOperationWithCallback();
                    Console.WriteLine("  StartOperationWithCallbackResponse");
                    if (!callbacks.WaitForOverall(TimeSpan.FromSeconds(10)))
                    {
                        Console.Error.WriteLine("FAIL: SetOverallStatus never arrived");
                        return 1;
                    }
                    string[] expected = Expected[op];
                    List<string> got;
                    lock (callbacks) got = callbacks.Names.ToList();
                    bool ok = expected == null
                        ? got.First() == "StartProgressCallback" && got.Last() == "SetOverallStatus"
                        : got.SequenceEqual(expected);
                    if (!ok)
                    {
                        Console.Error.WriteLine("FAIL: callbacks " + string.Join(",", got));
                        return 1;
                    }
                    if (callbacks.Overall != OverallProgressStatus.CompletedWithSuccess)
                    {
                        Console.Error.WriteLine("FAIL: overall status " + callbacks.Overall);
                        return 1;
                    }
                    var c = callbacks.Completion;
                    if (c != null && c.EntityStatusCollectionObject is EntityStatusCollection)
                        foreach (var s in ((EntityStatusCollection)c.EntityStatusCollectionObject).EntityStatusList ?? new List<EntityStatus>())
                            Console.WriteLine("  entity {0} {1} {2}", s.ObjectType, s.OperationType, s.RecordId);
                }
                // Mono's duplex channel waits for its receive loop on Close (up to the close
                // timeout) even after the server's End record; bound it and abort.
                try { comm.Close(TimeSpan.FromSeconds(2)); }
                catch (Exception e) when (e is TimeoutException || e is CommunicationException) { comm.Abort(); }
                factory.Abort();
                Console.WriteLine("OK {0} over {1}", op, encoding);
                return 0;
            }
            catch (Exception e)
            {
                Console.Error.WriteLine("FAIL: " + e);
                comm.Abort();
                return 1;
            }
        }
    }
}
